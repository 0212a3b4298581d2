using System.Text.Json;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Contract.Rules;
using Maebashi.Edge.Ingest.Store;

namespace Maebashi.Edge.Ingest.Pipeline;

/// <summary>A vehicle's accepted boardings and alightings in one minute of event time.</summary>
public readonly record struct OccupancyMinute(DateTimeOffset Start, int Boards, int Alights);

/// <summary>
/// A vehicle's current trip as the occupancy estimate sees it: the <c>trip_end</c> that began it (null: none seen)
/// and the trip's accepted boardings and alightings per minute of event time, oldest first, no older than
/// <see cref="RuleWindows.Trip"/> before the newest (docs/ingest.md, "Occupancy").
/// </summary>
public sealed record VehicleTrip(DateTimeOffset? Since, IReadOnlyList<OccupancyMinute> Minutes)
{
    public static readonly VehicleTrip None = new(null, []);

    /// <summary>
    /// Riders aboard at <paramref name="now"/>: boardings minus alightings of the trip's minutes within
    /// <see cref="RuleWindows.Trip"/> of now (a rider aboard longer is taken to have left, as the rules close such a
    /// trip), replayed in event order and never below zero at any minute, so an alight whose boarding the trip does
    /// not hold (before its trip_end, lost, or not yet arrived) takes no one else off.
    /// </summary>
    public int AboardAt(DateTimeOffset now)
    {
        DateTimeOffset from = now - RuleWindows.Trip;
        int aboard = 0;
        foreach (OccupancyMinute m in Minutes)
        {
            if (m.Start.AddMinutes(1) > from)
            {
                // Within a minute the boardings are counted first: a rider who boards and alights in it rode.
                aboard = Math.Max(0, aboard + m.Boards - m.Alights);
            }
        }

        return aboard;
    }
}

/// <summary>
/// The occupancy estimate of each vehicle (issue 16): its current trip, counted from the accepted <c>board</c> and
/// <c>alight</c> taps of the vehicle by event time since its last <c>trip_end</c>. The pipeline stages a unit's taps
/// under its unit lock and adds them to the stored trips in the unit (read for update, so that two workers' units of
/// one vehicle each add to what the other committed). Reads are from the store, so that every worker's console and feed
/// show every worker's commits.
/// </summary>
/// <remarks>
/// Bounded by the registry, not by the system's age: only the registry's vehicles are followed (its
/// <c>vehicles[]</c> and its devices' <c>vehicle</c>), each with at most the 181 minutes from its newest back over
/// <see cref="RuleWindows.Trip"/>. Each trip is kept in the store's meta (one key per vehicle), written in the unit
/// that stores its taps, so a restart resumes it without reading any tap.
/// </remarks>
internal sealed class VehicleOccupancy
{
    private const string MetaPrefix = "occupancy:";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly HashSet<string> _vehicles;
    private readonly IIngestStore _store;

    public VehicleOccupancy(CityRegistry registry, IIngestStore store)
    {
        _store = store;
        _vehicles = new HashSet<string>(
            (registry.Document.Vehicles ?? []).Select(v => v.Id)
                .Concat(registry.Devices.Select(d => d.Def.Vehicle).OfType<string>()),
            StringComparer.Ordinal);
    }

    /// <summary>The vehicles' current trips as committed by any worker, read at once; a vehicle with no counted tap is absent.</summary>
    public IReadOnlyDictionary<string, VehicleTrip> TripsOf(IEnumerable<string> vehicles)
    {
        string[] keys = [.. vehicles.Where(_vehicles.Contains).Distinct(StringComparer.Ordinal).Select(v => MetaPrefix + v)];
        IReadOnlyDictionary<string, string> stored = keys.Length == 0 ? new Dictionary<string, string>() : _store.GetMetas(keys);
        return stored.ToDictionary(kv => kv.Key[MetaPrefix.Length..], kv => Read(kv.Value), StringComparer.Ordinal);
    }

    /// <summary>
    /// Adds a newly stored tap to the unit's changes when it counts: a bus tap (<c>board</c>, <c>alight</c>,
    /// <c>trip_end</c>) the device accepted and the rules did not refuse (<paramref name="status"/>, a
    /// <see cref="ResultStatus"/>), of a vehicle the registry knows.
    /// </summary>
    public void Stage(Changes changes, TapRecord tap, string status)
    {
        if (!EventTypes.IsBus(tap.Type) || tap.Event.Decision != Decisions.Accept || status == ResultStatus.Rejected
            || tap.Vehicle is not { } vehicle || !_vehicles.Contains(vehicle))
        {
            return;
        }

        if (!changes.Taps.TryGetValue(vehicle, out List<(string Type, DateTimeOffset At)>? taps))
        {
            changes.Taps[vehicle] = taps = [];
        }

        taps.Add((tap.Type, tap.At));
    }

    /// <summary>
    /// Writes the unit's changed trips into its store unit: each vehicle's trip as stored, read for update (another
    /// worker may have committed taps of the vehicle since this one last did), with the unit's taps added in order.
    /// </summary>
    public static void Write(IIngestWrite w, Changes changes)
    {
        foreach ((string vehicle, List<(string Type, DateTimeOffset At)> taps) in changes.Taps.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            var trip = new TripBuilder(w.GetMetaForUpdate(MetaPrefix + vehicle) is { } stored ? Read(stored) : VehicleTrip.None);
            foreach ((string type, DateTimeOffset at) in taps)
            {
                switch (type)
                {
                    case EventTypes.TripEnd:
                        trip.End(at);
                        break;
                    case EventTypes.Board:
                        trip.Add(at, boards: 1, alights: 0);
                        break;
                    case EventTypes.Alight:
                        trip.Add(at, boards: 0, alights: 1);
                        break;
                }
            }

            if (trip.Changed)
            {
                w.SetMeta(MetaPrefix + vehicle, JsonSerializer.Serialize(Stored.Of(trip.Build()), Json));
            }
        }
    }

    private static VehicleTrip Read(string stored)
    {
        Stored? s = JsonSerializer.Deserialize<Stored>(stored, Json);
        return s is null
            ? VehicleTrip.None
            : new VehicleTrip(s.Since, [.. s.Minutes.Select(m => new OccupancyMinute(DateTimeOffset.FromUnixTimeSeconds(m[0] * 60), (int)m[1], (int)m[2]))]);
    }

    /// <summary>One unit of work's counted taps by vehicle, in the order staged.</summary>
    public sealed class Changes
    {
        public Dictionary<string, List<(string Type, DateTimeOffset At)>> Taps { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>A vehicle's trip being changed by one unit's taps.</summary>
    public sealed class TripBuilder(VehicleTrip from)
    {
        private DateTimeOffset? _since = from.Since;
        private readonly List<OccupancyMinute> _minutes = [.. from.Minutes];

        public bool Changed { get; private set; }

        /// <summary>
        /// A <c>trip_end</c> at <paramref name="at"/> begins a new trip, unless it is older than the one that began the
        /// current trip (a late one: it ended a trip already over). The minutes up to it belong to the trip it ended,
        /// including its own minute: a tap of that minute that arrives before the trip_end is dropped with it.
        /// </summary>
        public void End(DateTimeOffset at)
        {
            if (_since is { } since && at <= since)
            {
                return;
            }

            _since = at;
            _minutes.RemoveAll(m => m.Start <= at);
            Changed = true;
        }

        /// <summary>
        /// A tap at <paramref name="at"/>, unless it belongs to a trip already ended (at or before the trip_end that
        /// began this one) or is older than <see cref="RuleWindows.Trip"/> before the trip's newest minute.
        /// </summary>
        public void Add(DateTimeOffset at, int boards, int alights)
        {
            if (_since is { } since && at <= since)
            {
                return;
            }

            var start = new DateTimeOffset(at.UtcTicks - (at.UtcTicks % TimeSpan.TicksPerMinute), TimeSpan.Zero);
            if (_minutes.Count > 0 && start < _minutes[^1].Start - RuleWindows.Trip)
            {
                return;
            }

            int i = _minutes.FindIndex(m => m.Start >= start);
            if (i >= 0 && _minutes[i].Start == start)
            {
                _minutes[i] = _minutes[i] with { Boards = _minutes[i].Boards + boards, Alights = _minutes[i].Alights + alights };
            }
            else
            {
                _minutes.Insert(i < 0 ? _minutes.Count : i, new OccupancyMinute(start, boards, alights));
            }

            // Minutes too old to count for any reading from the newest on are dropped: at most one per minute of the window.
            DateTimeOffset oldest = _minutes[^1].Start - RuleWindows.Trip;
            _minutes.RemoveAll(m => m.Start < oldest);
            Changed = true;
        }

        /// <summary>The trip as changed.</summary>
        public VehicleTrip Build() => new(_since, [.. _minutes]);
    }

    /// <summary>The stored form: minutes as [unix minute, boards, alights].</summary>
    private sealed record Stored(DateTimeOffset? Since, List<long[]> Minutes)
    {
        public static Stored Of(VehicleTrip trip) =>
            new(trip.Since, [.. trip.Minutes.Select(m => new long[] { m.Start.ToUnixTimeSeconds() / 60, m.Boards, m.Alights })]);
    }
}
