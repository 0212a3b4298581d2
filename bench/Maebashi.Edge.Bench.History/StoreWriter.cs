using System.Diagnostics;
using System.Globalization;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Ingest.Rules;
using Maebashi.Edge.Ingest.Store;
using Maebashi.Edge.TestSupport;

namespace Maebashi.Edge.Bench.History;

/// <summary>What <see cref="StoreWriter.Write"/> wrote.</summary>
internal sealed record WriteStats(long Taps, int Persons, int Units, long TopUps, long Entries, long Checkpoints, int Debtors, double EvaluateSeconds);

/// <summary>
/// Writes planned taps into an ingest store through its own unit-of-work API (<see cref="IIngestStore.Write{T}"/>), so
/// the layout is exactly the store's, without MQTT and the pipeline: per unit a chunk of persons, each person's taps
/// added, their whole run of days evaluated once (<see cref="WalletRules.EvaluateDays"/> from no checkpoint), and what
/// the pipeline's person evaluator (cloud-ingest/Maebashi.Edge.Ingest/Pipeline/PersonEvaluator.cs) writes for a
/// person's first state: the sector index, the state, the settled days, the wallet entries, the check-ins and
/// participations, the day checkpoints. Then each bus's progress, and a snapshot of the person states.
/// </summary>
internal static class StoreWriter
{
    /// <summary>Most taps in one unit: LiteDB keeps a unit's pages in memory until its commit.</summary>
    private const int UnitTaps = 50_000;

    /// <summary>Most persons in one unit.</summary>
    private const int UnitPersons = 2_000;

    /// <param name="now">The ingest's clock during the writing: closes nothing (every trip has its alight), and is each entry's recorded time.</param>
    public static WriteStats Write(IIngestStore store, CityRegistry registry, CityYear year, string[] tokens, DateTimeOffset now, Action<string> say)
    {
        var sw = Stopwatch.StartNew();
        var evaluating = new Stopwatch();
        long taps = 0, topUps = 0, entries = 0, checkpoints = 0;
        int persons = 0, units = 0, debtors = 0;
        string[] devices = [.. Enumerable.Range(0, year.Buses).Select(RegistryGenerator.DeviceId)];
        string[] vehicles = [.. devices.Select(d => registry.FindDevice(d)!.Def.Vehicle!)];
        TimeSpan jst = TimeSpan.FromHours(9);
        double lastReport = 0;

        int p = 0;
        while (p < year.Persons)
        {
            // The next chunk of persons: up to UnitTaps taps (at least one person) or UnitPersons persons.
            int first = p;
            while (p < year.Persons && p - first < UnitPersons && (p == first || year.PersonStart[p + 1] - year.PersonStart[first] <= UnitTaps))
            {
                p++;
            }

            int end = p;
            var chunk = Enumerable.Range(first, end - first).Where(i => year.PersonStart[i + 1] > year.PersonStart[i]).ToList();
            if (chunk.Count == 0)
            {
                continue;
            }

            var pids = chunk.Select(i => registry.FindCard(tokens[i])!.Pid).ToList();
            var used = new SortedSet<string>(StringComparer.Ordinal);
            for (int i = year.PersonStart[first]; i < year.PersonStart[end]; i++)
            {
                used.Add(devices[year.Taps[i].Device]);
            }

            List<string> lockedDevices = [.. used];
            List<string> lockedPersons = [.. pids.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
            store.Write(w =>
            {
                w.LockAhead(lockedDevices, lockedPersons);
                for (int k = 0; k < chunk.Count; k++)
                {
                    int person = chunk[k];
                    string pid = pids[k];
                    var records = new List<TapRecord>(year.PersonStart[person + 1] - year.PersonStart[person]);
                    for (int i = year.PersonStart[person]; i < year.PersonStart[person + 1]; i++)
                    {
                        PlannedTap t = year.Taps[i];
                        var at = new DateTimeOffset(t.AtTicks, TimeSpan.Zero).ToOffset(jst);
                        string type = t.Alight ? EventTypes.Alight : EventTypes.Board;
                        string vehicle = vehicles[t.Device];
                        var e = new TapEvent
                        {
                            Seq = t.Seq,
                            Type = type,
                            At = at,
                            Card = new CardRef { Tok = tokens[person], Tech = "iso14443a" },
                            Ctx = new TapContext { Route = "R01", Vehicle = vehicle, Stop = $"S{t.Stop:D2}" },
                            Decision = Decisions.Accept,
                        };

                        // As the pipeline makes it (IngestPipeline.ApplyBatch), received half a minute after the tap.
                        var record = new TapRecord(devices[t.Device], t.Seq, pid, type, vehicle, at, at.AddSeconds(30), e);
                        if (!w.TryAddTap(record))
                        {
                            throw new InvalidOperationException($"{record.Device} seq {record.Seq} planned twice");
                        }

                        records.Add(record);
                    }

                    List<ValueChange> changes = year.Commutes(person) ? MonthlyTopUps(pid, records) : [];
                    foreach (ValueChange c in changes)
                    {
                        w.TryAddValueChange(pid, c);
                    }

                    evaluating.Start();
                    (int written, int days, bool debt) = Evaluate(w, registry, pid, records, changes, now);
                    evaluating.Stop();
                    entries += written;
                    checkpoints += days;
                    debtors += debt ? 1 : 0;
                    topUps += changes.Count;
                    taps += records.Count;
                }

                return 0;
            });
            persons += chunk.Count;
            units++;
            if (sw.Elapsed.TotalSeconds - lastReport >= 15)
            {
                lastReport = sw.Elapsed.TotalSeconds;
                say(string.Create(CultureInfo.InvariantCulture, $"   … {taps:N0} of {year.Taps.Length:N0} taps, {persons:N0} persons, {units} units in {sw.Elapsed.TotalSeconds:F0} s (rules {evaluating.Elapsed.TotalSeconds:F0} s)"));
            }
        }

        // Each bus's progress: the ack's upTo is its last seq.
        ulong[] lastSeq = new ulong[year.Buses];
        long[] lastAt = new long[year.Buses];
        long[] count = new long[year.Buses];
        foreach (PlannedTap t in year.Taps)
        {
            count[t.Device]++;
            if (t.Seq > lastSeq[t.Device])
            {
                lastSeq[t.Device] = t.Seq;
                lastAt[t.Device] = t.AtTicks;
            }
        }

        store.Write(w =>
        {
            w.LockAhead(devices, []);
            for (int d = 0; d < year.Buses; d++)
            {
                if (count[d] > 0)
                {
                    DeviceProgress? before = w.GetDevice(devices[d]);
                    w.PutDevice(new DeviceProgress(devices[d], Math.Max(before?.UpTo ?? 0, lastSeq[d]), new DateTimeOffset(lastAt[d], TimeSpan.Zero).AddSeconds(30), (before?.EventsApplied ?? 0) + count[d]));
                }
            }

            return 0;
        });
        store.WriteSnapshot();
        return new WriteStats(taps, persons, units, topUps, entries, checkpoints, debtors, evaluating.Elapsed.TotalSeconds);
    }

    /// <summary>A top-up of <see cref="CityYear.MonthlyTopUp"/> ten minutes before the person's first tap of each month (JST).</summary>
    private static List<ValueChange> MonthlyTopUps(string pid, List<TapRecord> records)
    {
        var changes = new List<ValueChange>();
        string? month = null;
        foreach (TapRecord r in records)
        {
            string m = r.At.ToOffset(TimeSpan.FromHours(9)).ToString("yyyy-MM", CultureInfo.InvariantCulture);
            if (m != month)
            {
                month = m;
                changes.Add(new ValueChange($"bench-{pid}-{m}", CityYear.MonthlyTopUp, r.At.AddMinutes(-10)));
            }
        }

        return changes;
    }

    /// <summary>
    /// What PersonEvaluator.Evaluate does for a person without a state (no checkpoint: every fact replayed), the taps
    /// and top-ups given rather than read back: returns the entries and checkpoints written, and whether in debt.
    /// </summary>
    private static (int Entries, int Checkpoints, bool Debt) Evaluate(IIngestWrite w, CityRegistry registry, string pid, List<TapRecord> taps, List<ValueChange> changes, DateTimeOffset now)
    {
        PersonEntry person = registry.FindPerson(pid) ?? throw new InvalidOperationException($"{pid} is not in the registry");
        PersonState? old = w.GetPersonForUpdate(pid);
        if (old is not null)
        {
            throw new InvalidOperationException($"{pid} already has a state: the generator writes first states only");
        }

        w.IndexSector(registry.SectorIdFor(pid, SectorId.Transport), pid);
        var history = new PersonHistory
        {
            Person = person,
            Taps = [.. taps.Select(t => t.ToStoredTap())],
            TripEnds = [],
            ValueChanges = changes,
        };
        DayEvaluation days = WalletRules.EvaluateDays(registry, history, null, now);
        WalletView view = days.View;
        var state = new PersonState(pid, view.Value, view.Points, view.PointsBus, view.PointsVolunteer, view.PointsHealth, view.InDebt, view.ReviewAt, 1);
        List<WalletEntry> entries = [.. PostingDiff.Changes([], view.Postings)
            .Select(c => new WalletEntry(pid, c.Key, c.Kind, c.Value, c.Points, c.Source, c.At, now, c.Description, c.IsAdjustment))];
        string welfareId = registry.SectorIdFor(pid, SectorId.Welfare);
        w.PutPerson(
            state,
            new SettledDays(view.Trips, view.Postings),
            entries,
            [.. view.CheckIns.Select(c => new CheckInRecord(pid, c.Clinic, c.Date, c.PatientNo, c.Queue, c.ChildMedicalSubsidy, c.At))],
            [.. view.Participations.Select(x => new ParticipationRecord(pid, x.Event, x.Sector, welfareId, x.In, x.Out, x.Points))],
            DateTimeOffset.MinValue);
        w.PutCheckpoints(pid, days.Checkpoints);
        return (entries.Count, days.Checkpoints.Count, view.InDebt);
    }
}
