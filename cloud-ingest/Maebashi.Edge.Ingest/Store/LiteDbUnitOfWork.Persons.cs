using LiteDB;
using Maebashi.Edge.Ingest.Rules;
using static Maebashi.Edge.Ingest.Store.LiteDbLayout;

namespace Maebashi.Edge.Ingest.Store;

/// <summary>
/// The unit's person side: a person's state, settled days (trips and postings by service day) and entries, read from
/// what this unit wrote, then the cache, then the database, and written as the evaluations leave them.
/// </summary>
internal sealed partial class LiteDbUnitOfWork
{
    public PersonState? GetPersonForUpdate(string pid) => Person(pid)?.State;

    public SettledDays SettledFrom(string pid, DateOnly from) => LiteDbSettlements.Join(SettledDaysFrom(pid, from).Values);

    /// <summary>The person's settled days from <paramref name="from"/> on as this unit sees them: committed ones (held, else read), then this unit's changes.</summary>
    private SortedDictionary<DateOnly, SettledDay> SettledDaysFrom(string pid, DateOnly from)
    {
        var days = new SortedDictionary<DateOnly, SettledDay>(
            cache.Settlements.From(pid, from, (first, last) => LiteDbSettlements.Range(db, pid, first, last)).ToDictionary());
        if (_newSettled.TryGetValue(pid, out SortedDictionary<DateOnly, (SettledDay? Day, bool Stored)>? mine))
        {
            foreach ((DateOnly day, (SettledDay? settled, bool _)) in mine)
            {
                if (day < from)
                {
                    continue;
                }

                if (settled is null)
                {
                    days.Remove(day);
                }
                else
                {
                    days[day] = settled;
                }
            }
        }

        return days;
    }

    /// <summary>
    /// Records the replayed days' trips and postings: every day from the first replayed one on whose trips or postings
    /// changed is rewritten (or removed, when it has none left); unchanged days are not written.
    /// </summary>
    private void PutSettled(string pid, SettledDays replayed, DateOnly from, bool isNew)
    {
        SortedDictionary<DateOnly, SettledDay> after = LiteDbSettlements.ByDay(replayed);
        if (after.Count > 0 && after.Keys.First() < from)
        {
            // A result dated before the first replayed day (not expected): that day is replaced too, never duplicated.
            from = after.Keys.First();
        }

        SortedDictionary<DateOnly, SettledDay> before = isNew ? [] : SettledDaysFrom(pid, from);
        if (!_newSettled.TryGetValue(pid, out SortedDictionary<DateOnly, (SettledDay? Day, bool Stored)>? changes))
        {
            _newSettled[pid] = changes = [];
        }

        foreach (DateOnly day in before.Keys.Union(after.Keys))
        {
            SettledDay? now = after.GetValueOrDefault(day);
            SettledDay? was = before.GetValueOrDefault(day);
            if (SettledDay.Same(was, now))
            {
                continue;
            }

            // Whether a document of the day is committed: known from an earlier change of this unit, else it is
            // committed when this unit saw one before it.
            bool stored = changes.TryGetValue(day, out (SettledDay? Day, bool Stored) earlier) ? earlier.Stored : was is not null;
            changes[day] = (now, stored);
        }
    }

    /// <summary>
    /// One process writes this store, one unit at a time: nothing to lock. The unit's persons are known here, before it
    /// has written anything: the latest days and the top-ups of those not in memory are read now, each a short range of an
    /// index, while the unit holds no pending pages (LiteDB's reads cost more once it does).
    /// </summary>
    public void LockAhead(IReadOnlyList<string> devices, IReadOnlyList<string> persons)
    {
        foreach (string pid in persons)
        {
            if (Person(pid) is null)
            {
                // No state, no history: a unit that stores a person's tap or top-up evaluates the person and stores a state.
                cache.HoldNoHistory(pid);
                continue;
            }

            PreloadLatestDay(pid);

            // A new tap replays from one of the latest checkpoints (held when the person was evaluated lately): the
            // top-ups from the earliest of them on. Otherwise the evaluation reads its own range when it knows it.
            if (cache.RecentCheckpoints(pid) is { Length: > 0 } recent)
            {
                ValueChangesOf(pid, WalletRules.DayStart(recent.Min(c => c.Day)));
            }
        }
    }

    /// <summary>
    /// Holds the person's latest day (its taps, its trips and postings, its checkpoint) when memory does not: one read of
    /// the person's latest day document serves all three (<see cref="LiteDbPersonDays"/>).
    /// </summary>
    private void PreloadLatestDay(string pid)
    {
        List<BsonDocument>? latest = null;
        List<BsonDocument> Latest(int count) => latest ??= LiteDbPersonDays.Latest(db, pid, count);
        cache.PreloadLatestDays(
            pid,
            count => [.. Latest(count).Select(d => (LiteDbDayTaps.DayOf(d["_id"].AsString), LiteDbDayTaps.TapsIn(d)))],
            count =>
            {
                // The latest days read hold the latest settled days when each has them (or when they are all the person has).
                List<BsonDocument> days = Latest(count);
                return days.Count < count || days.All(d => d.ContainsKey(LiteDbPersonDays.Settled))
                    ? [.. days.Where(d => d.ContainsKey(LiteDbPersonDays.Settled)).Select(d => (LiteDbDayTaps.DayOf(d["_id"].AsString), StoreJson.Settled(d[LiteDbPersonDays.Settled].AsBinary)))]
                    : LiteDbSettlements.Latest(db, pid, count);
            });

        // The latest day's checkpoint is the person's latest one: memory then knows every later day has none.
        if (cache.RecentCheckpoints(pid) is null && latest is [{ } newest, ..] && newest.TryGetValue(LiteDbPersonDays.Checkpoint, out BsonValue c))
        {
            cache.AddCheckpoints(pid, [StoreJson.Checkpoint(c.AsBinary)]);
        }
    }

    private CachedPerson? Person(string pid) =>
        _newPersons.TryGetValue(pid, out CachedPerson? p) || cache.TryGetPerson(pid, out p) ? p : null;

    public void PutPerson(PersonState s, SettledDays replayed, IReadOnlyList<WalletEntry> newEntries, IReadOnlyList<CheckInRecord> checkIns, IReadOnlyList<ParticipationRecord> participations, DateTimeOffset replayedFrom)
    {
        CachedPerson? before = Person(s.Pid);
        if (before is null)
        {
            _firstStates.Add(s.Pid);
        }

        bool whole = replayedFrom == DateTimeOffset.MinValue;
        PutSettled(s.Pid, replayed, whole ? DateOnly.MinValue : LiteDbDayTaps.ServiceDayOf(replayedFrom), isNew: before is null);

        HeldEntries recent = before?.RecentEntries ?? HeldEntries.None;
        int archivedDocuments = before?.ArchivedDocuments ?? 0;
        int archivedEntries = before?.ArchivedEntries ?? 0;
        if (newEntries.Count > 0)
        {
            List<WalletEntry> entries = [.. recent.Unpack(s.Pid), .. newEntries];
            if (entries.Count > InlineEntries)
            {
                archivedDocuments++;
                db.GetCollection(Entries).Insert(LiteDbMapping.ArchiveDocument(s.Pid, archivedEntries + 1, entries));
                archivedEntries += entries.Count;
                recent = HeldEntries.None;
            }
            else
            {
                recent = HeldEntries.Of(entries);
            }
        }

        // Logged (with the unit's other persons) in WriteDocuments.
        // Rows before the replayed days stay: the counts only tell whether a person has any to replace (null: not
        // known, a state stored before the counts were).
        _newPersons[s.Pid] = new CachedPerson(
            s,
            whole || before is null ? checkIns.Count : before.CheckIns + checkIns.Count,
            whole || before is null ? participations.Count : before.Participations + participations.Count,
            recent,
            archivedDocuments,
            archivedEntries,
            // A person without a state has no top-up stored (see LockAhead); this unit's own go in at WriteDocuments.
            before?.LastValueChange ?? long.MinValue);

        // Most persons have neither check-ins nor participations: skip rewriting empty sets.
        ILiteCollection<BsonDocument> ci = db.GetCollection(CheckIns);
        if (before is not null && before.CheckIns is not 0)
        {
            ci.DeleteMany(whole ? LiteDbQuery.EQ("p", s.Pid) : LiteDbQuery.EqSince("p", s.Pid, "at", replayedFrom.UtcTicks));
        }

        if (checkIns.Count > 0)
        {
            ci.InsertBulk(checkIns.Select(LiteDbMapping.CheckInDocument));
        }

        ILiteCollection<BsonDocument> pa = db.GetCollection(Participations);
        if (before is not null && before.Participations is not 0)
        {
            pa.DeleteMany(whole ? LiteDbQuery.EQ("p", s.Pid) : LiteDbQuery.EqSince("p", s.Pid, "in", replayedFrom.UtcTicks));
        }

        if (participations.Count > 0)
        {
            pa.InsertBulk(participations.Select(LiteDbMapping.ParticipationDocument));
        }
    }
}
