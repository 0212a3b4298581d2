using Maebashi.Edge.CardAuth.Jpki;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Ingest.Rules;

namespace Maebashi.Edge.Ingest.Store;

// The ingest's persistent state, behind one interface: LiteDB (LiteDbIngestStore, one process) or PostgreSQL
// (Postgres/PostgresIngestStore, which several ingest processes sharing a broker's shared subscription may share),
// without touching the pipeline or the rules.
//
// Rules of the interface, which every implementation keeps:
// - Everything done inside one Write(...) commits atomically and durably (on disk, not only in the
//   OS cache) before Write returns, or not at all. The pipeline publishes acks only after Write returns.
// - TryAddTap is the de-duplication record: it inserts (device, seq) or reports that it exists.
//   In PostgreSQL: INSERT … ON CONFLICT DO NOTHING on the primary key (device, seq); a concurrent
//   process inserting the same key waits on the row lock and then sees the conflict.
// - GetPersonForUpdate locks the person for the rest of the unit (PostgreSQL: SELECT … FOR UPDATE on
//   the persons row, inserting it first if missing), so two processes never evaluate one person at once.
// - Reads outside Write see only committed state.
// - Day checkpoints (docs/decisions.md): one row per (person, service day), replaced by a later evaluation of
//   that day; CheckpointFor is the latest resumable one at or before a day (PostgreSQL: ORDER BY day DESC on the
//   primary key (pid, day)), and TapsOfPerson(pid, from) a range read on an index (pid, at).

/// <summary>A stored tap: the de-duplication record and the fact the rules read.</summary>
/// <param name="Auth">What intake found of the card read (an authenticated card's SUN message).</param>
/// <param name="SunCounter">The card's SDM read counter when <paramref name="Auth"/> is <see cref="CardReadAuth.Verified"/>.</param>
/// <param name="Jpki">A My Number card's verified certificate, as much as is kept: issuer, validity and hash (never the certificate or the signature).</param>
public sealed record TapRecord(string Device, ulong Seq, string? Pid, string Type, string? Vehicle, DateTimeOffset At, DateTimeOffset ReceivedAt, TapEvent Event,
    CardReadAuth Auth = CardReadAuth.None, int SunCounter = -1, JpkiCertificateFacts? Jpki = null)
{
    public StoredTap ToStoredTap() => new(Device, Seq, Event, Auth, SunCounter);
}

/// <summary>What the store keeps of a person's wallet after the last evaluation.</summary>
public sealed record PersonState(
    string Pid,
    long Value,
    long Points,
    long PointsBus,
    long PointsVolunteer,
    long PointsHealth,
    bool InDebt,
    DateTimeOffset? NextCloseAt,
    IReadOnlyList<Trip> Trips,
    IReadOnlyList<Posting> Postings,
    long Revision);

/// <summary>One wallet entry: a posting as it first appeared, or an adjustment when a re-evaluation changed or withdrew it.</summary>
public sealed record WalletEntry(string Pid, string Key, string Kind, long Value, long Points, string Source, DateTimeOffset At, DateTimeOffset RecordedAt, string Description, bool Adjustment);

/// <summary>A clinic check-in as the clinic may see it (the PID is kept only to replace the person's rows).</summary>
/// <param name="MyNumber">Checked in with a My Number card whose certificate and signature verified (the PIN was entered).</param>
public sealed record CheckInRecord(string Pid, string Clinic, DateOnly Date, string PatientNo, int Queue, bool ChildMedicalSubsidy, DateTimeOffset At, bool MyNumber = false);

/// <summary>A participation as the welfare sector may see it: the person's welfare sector ID.</summary>
public sealed record ParticipationRecord(string Pid, string Event, string Sector, string SectorId, DateTimeOffset In, DateTimeOffset? Out, long Points);

/// <summary>Where a device stands: the highest seq settled (the ack's upTo) and when it was last heard.</summary>
public sealed record DeviceProgress(string Device, ulong UpTo, DateTimeOffset LastSeen, long EventsApplied);

/// <summary>A quarantined batch or event: the raw payload and the reason, once per distinct payload (and seq).</summary>
public sealed record QuarantineRecord(string Id, string Scope, string Device, string Topic, string Code, string Reason, ulong? Seq, DateTimeOffset At, byte[] Payload);

/// <summary>What the console's quarantine page filters on: a device, a reason code, or both (null: any).</summary>
public sealed record QuarantineFilter(string? Device, string? Code);

/// <summary>One page of quarantine records, newest first, and how many match the filter in all.</summary>
public sealed record QuarantinePage(IReadOnlyList<QuarantineRecord> Items, long Total);

/// <summary>A retained MQTT message kept across restarts (MQTTnet keeps them in memory only).</summary>
public sealed record RetainedRecord(string Topic, byte[] Payload);

/// <summary>The unit of work of <see cref="IIngestStore.Write{T}"/>.</summary>
public interface IIngestWrite
{
    /// <summary>Inserts the tap, or returns false when (device, seq) is already stored.</summary>
    bool TryAddTap(TapRecord tap);

    /// <summary>The person's taps at or after <paramref name="from"/> (the service days an evaluation replays), in time order.</summary>
    IReadOnlyList<TapRecord> TapsOfPerson(string pid, DateTimeOffset from);

    /// <summary>
    /// The checkpoint to evaluate the person from for a change first felt on <paramref name="day"/>
    /// (<see cref="WalletRules.Resume"/> over the person's stored checkpoints), or null: none stored (a new person,
    /// or a store written before day checkpoints), or none early enough.
    /// </summary>
    DayCheckpoint? CheckpointFor(string pid, DateOnly day);

    /// <summary>Stores the checkpoints an evaluation wrote (replacing those of the same person and day).</summary>
    void PutCheckpoints(string pid, IReadOnlyList<DayCheckpoint> checkpoints);

    /// <summary><c>trip_end</c> events of a vehicle with <c>from ≤ at ≤ to</c>.</summary>
    IReadOnlyList<TapRecord> TripEnds(string vehicle, DateTimeOffset from, DateTimeOffset to);

    /// <summary>Persons with a <c>board</c> on the vehicle with <c>from ≤ at ≤ to</c> (a trip_end may close their trip).</summary>
    IReadOnlyCollection<string> PersonsBoarded(string vehicle, DateTimeOffset from, DateTimeOffset to);

    IReadOnlyList<ValueChange> ValueChangesOf(string pid);

    /// <summary>The top-up or adjustment stored under <see cref="ValueChange.Key"/>, and its person, or null.</summary>
    (string Pid, ValueChange Change)? FindValueChange(string key);

    /// <summary>Stores the change unless one with its <see cref="ValueChange.Key"/> exists.</summary>
    bool TryAddValueChange(string pid, ValueChange change);

    PersonState? GetPersonForUpdate(string pid);

    /// <summary>
    /// Remembers whose a sector ID is, for an operator's lookup by it (<see cref="IIngestStore.PidOfSector"/>): written
    /// once, when the person's first facts arrive, so the lookup is one read and nothing is computed per person.
    /// </summary>
    void IndexSector(string sectorId, string pid);

    /// <summary>
    /// Replaces the person's state, and the check-ins and participations at or after <paramref name="replayedFrom"/>
    /// (the start of the days the evaluation replayed; earlier ones stay), and appends the new entries.
    /// </summary>
    void PutPerson(PersonState state, IReadOnlyList<WalletEntry> newEntries, IReadOnlyList<CheckInRecord> checkIns, IReadOnlyList<ParticipationRecord> participations, DateTimeOffset replayedFrom);

    DeviceProgress? GetDevice(string device);

    void PutDevice(DeviceProgress progress);

    /// <summary>Adds the record unless one with the same id exists; false then.</summary>
    bool AddQuarantine(QuarantineRecord record);

    string? GetMeta(string key);

    void SetMeta(string key, string value);
}

/// <summary>Upkeep a store does by itself when due, which an operator or a benchmark may ask for now.</summary>
public interface IStoreMaintenance
{
    /// <summary>
    /// Writes what lets the store open quickly — the LiteDB store: a snapshot of every person's state, which
    /// empties the person log — now rather than when due; returns how many persons it holds.
    /// </summary>
    int WriteSnapshot();
}

public interface IIngestStore : IStoreMaintenance, IDisposable
{
    /// <summary>Runs <paramref name="work"/> as one atomic, durable unit (see the file's comment).</summary>
    T Write<T>(Func<IIngestWrite, T> work);

    PersonState? GetPerson(string pid);

    /// <summary>The person a sector ID stands for, when the store has their facts; null otherwise.</summary>
    string? PidOfSector(string sectorId);

    IReadOnlyList<WalletEntry> EntriesOf(string pid);

    IReadOnlyList<CheckInRecord> CheckIns(string clinic, DateOnly date);

    IReadOnlyList<ParticipationRecord> Participations(string eventId);

    IReadOnlyList<DeviceProgress> Devices();

    IReadOnlyList<QuarantineRecord> Quarantine(int limit);

    long QuarantineCount();

    /// <summary>The records matching <paramref name="filter"/>, newest first, <paramref name="skip"/> then at most <paramref name="take"/>.</summary>
    QuarantinePage Quarantine(QuarantineFilter filter, int skip, int take);

    QuarantineRecord? FindQuarantine(string id);

    IReadOnlyList<string> PersonsInDebt();

    /// <summary>
    /// Every person's trips of one service day (<c>yyyy-MM-dd</c>, as <see cref="Trip.ServiceDay"/>), streamed: what the
    /// transport reports aggregate. The work is one day's trips plus a lookup per person, whatever the history's length.
    /// </summary>
    IEnumerable<(string Pid, Trip Trip)> TripsOn(string serviceDay);

    /// <summary>Persons with an open trip whose board + 180 min is at or before <paramref name="now"/>.</summary>
    IReadOnlyList<string> PersonsDueForClose(DateTimeOffset now);

    string? GetMeta(string key);

    IReadOnlyList<RetainedRecord> RetainedMessages();

    /// <summary>Stores (or, with an empty payload, removes) a retained message; durable on return.</summary>
    void PutRetained(RetainedRecord message);
}
