using LiteDB;
using Maebashi.Edge.Ingest.Rules;
using static Maebashi.Edge.Ingest.Store.LiteDbLayout;

namespace Maebashi.Edge.Ingest.Store;

/// <summary>
/// What one unit changes in persons' day documents (<see cref="LiteDbPersonDays"/>): the taps it added, the trips and
/// postings its evaluations settled and the checkpoints they wrote, gathered by person and day and written once per
/// document at the end of the unit. A day whose committed parts are all in memory (<see cref="LiteDbWriteCache"/>: the
/// person's latest day of taps and of settlements, the latest checkpoints) is written whole without a read, as is
/// every day of a person whose first state the unit writes; any other is read and patched.
/// </summary>
internal sealed class PersonDayChanges(LiteDatabase db, LiteDbWriteCache cache)
{
    private sealed class Change
    {
        public List<TapRecord>? AddedTaps;
        public bool SettledChanged;
        public SettledDay? Settled;
        public DayCheckpoint? Checkpoint;
    }

    private readonly Dictionary<(string Pid, DateOnly Day), Change> _changes = [];

    // The checkpoints of this unit by person, in day order: what CheckpointFor sees before they are written.
    private readonly Dictionary<string, SortedList<DateOnly, DayCheckpoint>> _checkpoints = new(StringComparer.Ordinal);

    private Change Of(string pid, DateOnly day)
    {
        if (!_changes.TryGetValue((pid, day), out Change? c))
        {
            _changes[(pid, day)] = c = new Change();
        }

        return c;
    }

    public void AddTaps(string pid, DateOnly day, IEnumerable<TapRecord> taps) => (Of(pid, day).AddedTaps ??= []).AddRange(taps);

    /// <summary>The day's trips and postings as the unit leaves them (null: it has none left).</summary>
    public void SetSettled(string pid, DateOnly day, SettledDay? settled)
    {
        Change c = Of(pid, day);
        c.SettledChanged = true;
        c.Settled = settled;
    }

    public void SetCheckpoint(string pid, DayCheckpoint checkpoint)
    {
        Of(pid, checkpoint.Day).Checkpoint = checkpoint;
        if (!_checkpoints.TryGetValue(pid, out SortedList<DateOnly, DayCheckpoint>? mine))
        {
            _checkpoints[pid] = mine = [];
        }

        mine[checkpoint.Day] = checkpoint;
    }

    /// <summary>
    /// The latest checkpoint at or before <paramref name="day"/> an evaluation can resume from, this unit's before the
    /// stored ones (which a checkpoint of this unit for the same day replaces).
    /// </summary>
    public DayCheckpoint? ResumableAtOrBefore(string pid, DateOnly day, Func<IEnumerable<DayCheckpoint>> stored)
    {
        SortedList<DateOnly, DayCheckpoint>? mine = _checkpoints.GetValueOrDefault(pid);
        DayCheckpoint? own = mine?.Values.LastOrDefault(c => c.Day <= day && c.CanResume);
        foreach (DayCheckpoint c in stored())
        {
            if (own is not null && own.Day >= c.Day)
            {
                return own;
            }

            if (mine is not null && mine.ContainsKey(c.Day))
            {
                continue;
            }

            if (c.CanResume)
            {
                return c;
            }
        }

        return own;
    }

    /// <summary>
    /// Writes every changed day document; returns the days whose taps changed, as written, by person (for the cache
    /// after the commit). <paramref name="hasNoDays"/> tells a person with nothing stored yet (no state before this unit).
    /// </summary>
    public Dictionary<string, Dictionary<DateOnly, List<TapRecord>>> Write(Func<string, bool> hasNoDays)
    {
        var written = new Dictionary<string, Dictionary<DateOnly, List<TapRecord>>>(StringComparer.Ordinal);
        ILiteCollection<BsonDocument> col = db.GetCollection(DayTaps);
        foreach (((string pid, DateOnly day), Change change) in _changes)
        {
            List<TapRecord>? taps = hasNoDays(pid) ? WriteNew(col, pid, day, change) : WriteKnown(col, pid, day, change) ?? WritePatched(pid, day, change);
            if (taps is not null)
            {
                if (!written.TryGetValue(pid, out Dictionary<DateOnly, List<TapRecord>>? days))
                {
                    written[pid] = days = [];
                }

                days[day] = taps;
            }
        }

        return written;
    }

    private static List<TapRecord>? WriteNew(ILiteCollection<BsonDocument> col, string pid, DateOnly day, Change change)
    {
        List<TapRecord>? taps = change.AddedTaps is { } added ? LiteDbDayTaps.Merge([], added) : null;
        BsonDocument d = Document(pid, day, taps, change.Settled, change.Checkpoint);
        if (!LiteDbPersonDays.IsEmpty(d))
        {
            col.Insert(d);
        }

        return taps;
    }

    /// <summary>The day written whole when its committed parts are all in memory; null (nothing written) when not.</summary>
    private List<TapRecord>? WriteKnown(ILiteCollection<BsonDocument> col, string pid, DateOnly day, Change change)
    {
        if (cache.HeldDay(pid, day) is not { } heldTaps
            || !cache.Settlements.TryGetDay(pid, day, out SettledDay? heldSettled)
            || !TryHeldCheckpoint(pid, day, out DayCheckpoint? heldCheckpoint))
        {
            return null;
        }

        bool stored = heldTaps.Count > 0 || heldSettled is not null || heldCheckpoint is not null;
        List<TapRecord> taps = change.AddedTaps is { } added ? LiteDbDayTaps.Merge(heldTaps, added) : heldTaps;
        BsonDocument d = Document(pid, day, taps, change.SettledChanged ? change.Settled : heldSettled, change.Checkpoint ?? heldCheckpoint);
        if (LiteDbPersonDays.IsEmpty(d))
        {
            if (stored)
            {
                col.Delete(d["_id"]);
            }
        }
        else
        {
            LiteDbDayTaps.Write(col, d, isNew: !stored);
        }

        return taps;
    }

    private List<TapRecord>? WritePatched(string pid, DateOnly day, Change change)
    {
        List<TapRecord>? taps = null;
        LiteDbPersonDays.Patch(db, pid, day, d =>
        {
            if (change.AddedTaps is { } added)
            {
                List<TapRecord> stored = cache.HeldDay(pid, day) ?? (d.TryGetValue(LiteDbPersonDays.Taps, out BsonValue b) ? StoreJson.Taps(b.AsBinary) : []);
                taps = LiteDbDayTaps.Merge(stored, added);
                LiteDbPersonDays.Set(d, LiteDbPersonDays.Taps, StoreJson.Taps(taps));
            }

            if (change.SettledChanged)
            {
                LiteDbPersonDays.Set(d, LiteDbPersonDays.Settled, change.Settled is { } s ? StoreJson.Settled(s) : null);
            }

            if (change.Checkpoint is { } c)
            {
                LiteDbPersonDays.Set(d, LiteDbPersonDays.Checkpoint, StoreJson.Checkpoint(c));
            }
        });
        return taps;
    }

    /// <summary>The committed checkpoint of the day when memory knows it (the latest ones are held: null when the day has none).</summary>
    private bool TryHeldCheckpoint(string pid, DateOnly day, out DayCheckpoint? checkpoint)
    {
        checkpoint = null;
        if (cache.RecentCheckpoints(pid) is not { Length: > 0 } held || day < held[0].Day)
        {
            return false;
        }

        checkpoint = Array.Find(held, c => c.Day == day);
        return true;
    }

    private static BsonDocument Document(string pid, DateOnly day, List<TapRecord>? taps, SettledDay? settled, DayCheckpoint? checkpoint)
    {
        var d = new BsonDocument { ["_id"] = LiteDbDayTaps.PersonDay(pid, day) };
        if (taps is { Count: > 0 })
        {
            d[LiteDbPersonDays.Taps] = StoreJson.Taps(taps);
            d[LiteDbPersonDays.Day] = LiteDbMapping.Day(day);
        }

        if (settled is not null)
        {
            d[LiteDbPersonDays.Settled] = StoreJson.Settled(settled);
        }

        if (checkpoint is not null)
        {
            d[LiteDbPersonDays.Checkpoint] = StoreJson.Checkpoint(checkpoint);
        }

        return d;
    }
}
