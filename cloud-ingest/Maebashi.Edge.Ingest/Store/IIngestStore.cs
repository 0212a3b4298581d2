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
// - TryAddTap (TryAddTaps for a batch's taps at once) is the de-duplication record: it inserts (device, seq) or
//   reports that it exists. In PostgreSQL: INSERT … ON CONFLICT DO NOTHING on the primary key (device, seq) (with
//   RETURNING for a batch); a concurrent process inserting the same key waits on the row lock and then sees the conflict.
// - GetPersonForUpdate locks the person for the rest of the unit (PostgreSQL: SELECT … FOR UPDATE on
//   the persons row, inserting it first if missing), so two processes never evaluate one person at once.
// - Reads outside Write see only committed state.
// - Day checkpoints (docs/decisions.md): one row per (person, service day), replaced by a later evaluation of
//   that day; CheckpointFor is the latest resumable one at or before a day (PostgreSQL: ORDER BY day DESC on the
//   primary key (pid, day)), and TapsOfPerson(pid, from) a range read on an index (pid, at).
// - The quarantine (docs/contract.md §6, docs/ingest.md "Quarantine") is bounded: no device can fill it.
//   In PostgreSQL terms (the LiteDB store keeps the same shape in its own documents, Store/LiteDbQuarantine.cs):
//     quarantine (id bigserial PRIMARY KEY, kind, device, topic, code, reason, seq NULL, at, size, sha256,
//                 repeats, bytes, UNIQUE (device, code, sha256, seq) NULLS NOT DISTINCT),
//       indexes (device, id DESC), (code, id DESC), (device, code, id DESC), (at);
//     quarantine_payload (id PRIMARY KEY REFERENCES quarantine ON DELETE CASCADE, payload bytea): kept apart so a
//       page never reads a payload;
//     quarantine_usage (device PRIMARY KEY, records, bytes), quarantine_dropped (device, code, count, PRIMARY KEY
//       (device, code)) and one totals row quarantine_total (records, bytes): counters, changed in the unit that
//       adds or purges a record, so usage is never found by scanning records.
//   * AddQuarantine(entry, limits), in a unit of work: UPDATE quarantine SET repeats = repeats + 1 WHERE (device,
//     code, sha256, seq) = … → Repeated. Else lock the totals row, then the device's usage row (always in this
//     order: two workers never deadlock; SELECT … FOR UPDATE, inserting the row first if missing); if usage.bytes +
//     entry.Bytes > limits.DeviceBytes or total.bytes + entry.Bytes > limits.TotalBytes, add 1 to
//     quarantine_dropped (device, code) (INSERT … ON CONFLICT DO UPDATE SET count = count + 1) → Dropped; else
//     INSERT the record (ON CONFLICT on the unique key DO UPDATE SET repeats = repeats + 1, for a worker that
//     added the same record meanwhile: then Repeated and no counter changes) and its payload, and add to both
//     counters → Added.
//   * Quarantine(query): a keyset page, newest first, one statement per filter shape so that each is a range
//     read of its index: SELECT … FROM quarantine WHERE [device = $d] [AND code = $c] AND id < $before ORDER BY
//     id DESC LIMIT $limit + 1. The extra row only tells whether a page follows: Next is then the id of the
//     page's last record (the caller passes it as before), else null.
//   * QuarantinePayload(id): SELECT payload FROM quarantine_payload WHERE id = $id (null: no such record).
//   * PurgeQuarantine(olderThan, max): DELETE the at most max oldest records WHERE at < olderThan (index on at),
//     subtracting each from its device's usage and the total, in one transaction; returns how many went.
//   * QuarantineUsage(): per device that ever had a record or a drop, its records, bytes and drops by code.

/// <summary>A stored tap: the de-duplication record and the fact the rules read.</summary>
/// <param name="Auth">What intake found of the card read (an authenticated card's SUN message).</param>
/// <param name="SunCounter">The card's SDM read counter when <paramref name="Auth"/> is <see cref="CardReadAuth.Verified"/>.</param>
/// <param name="Jpki">A My Number card's verified certificate, as much as is kept: issuer, validity and hash (never the certificate or the signature).</param>
public sealed record TapRecord(string Device, ulong Seq, string? Pid, string Type, string? Vehicle, DateTimeOffset At, DateTimeOffset ReceivedAt, TapEvent Event,
    CardReadAuth Auth = CardReadAuth.None, int SunCounter = -1, JpkiCertificateFacts? Jpki = null)
{
    public StoredTap ToStoredTap() => new(Device, Seq, Event, Auth, SunCounter);
}

/// <summary>
/// What the store keeps of a person's wallet after the last evaluation: the balances, not the history. The trips and
/// postings are kept by service day (<see cref="SettledDays"/>): an evaluation reads those of the days it replays, a
/// reader a page of them (<see cref="IIngestStore.TripsPage"/>), so nothing held per person grows with its history.
/// </summary>
public sealed record PersonState(
    string Pid,
    long Value,
    long Points,
    long PointsBus,
    long PointsVolunteer,
    long PointsHealth,
    bool InDebt,
    DateTimeOffset? NextCloseAt,
    long Revision);

/// <summary>
/// A person's trips and postings of a run of service days, each list in the order the rules gave: a trip belongs to
/// the service day of its board (its alight when it has none), a posting to the service day of its <see cref="Posting.At"/>.
/// </summary>
public sealed record SettledDays(IReadOnlyList<Trip> Trips, IReadOnlyList<Posting> Postings)
{
    public static readonly SettledDays None = new([], []);

    /// <summary>The service day a trip belongs to.</summary>
    public static DateOnly DayOf(Trip t) => (t.BoardAt ?? t.AlightAt) is { } at ? ServiceDayOf(at) : DateOnly.MinValue;

    /// <summary>The service day a posting belongs to.</summary>
    public static DateOnly DayOf(Posting p) => ServiceDayOf(p.At);

    /// <summary>The service day of an instant, the edges of time (an opening posting, an open-ended read) mapped to the first and the last day.</summary>
    public static DateOnly ServiceDayOf(DateTimeOffset at) =>
        at.UtcTicks < TimeSpan.TicksPerDay ? DateOnly.MinValue
        : at.UtcTicks > DateTimeOffset.MaxValue.UtcTicks - TimeSpan.TicksPerDay ? DateOnly.MaxValue
        : WalletRules.ServiceDay(at);
}

/// <summary>
/// One page of a person's trips, newest day first, whole service days (each in time order): the newest days before
/// the cursor until the page holds at least the limit. <see cref="Next"/> is the <c>before</c> of the next (older)
/// page — the oldest day on this one — null on the last.
/// </summary>
public sealed record TripPage(IReadOnlyList<Trip> Items, DateOnly? Next);

/// <summary>One wallet entry: a posting as it first appeared, or an adjustment when a re-evaluation changed or withdrew it.</summary>
public sealed record WalletEntry(string Pid, string Key, string Kind, long Value, long Points, string Source, DateTimeOffset At, DateTimeOffset RecordedAt, string Description, bool Adjustment);

/// <summary>
/// One page of a person's wallet entries, newest first (<see cref="IIngestStore.EntriesPage"/>): <see cref="Next"/> is the
/// <c>before</c> of the next (older) page, null on the last; <see cref="Total"/> how many entries the person has.
/// </summary>
public sealed record WalletEntryPage(IReadOnlyList<WalletEntry> Items, long? Next, long Total);

/// <summary>A clinic check-in as the clinic may see it (the PID is kept only to replace the person's rows).</summary>
/// <param name="MyNumber">Checked in with a My Number card whose certificate and signature verified (the PIN was entered).</param>
public sealed record CheckInRecord(string Pid, string Clinic, DateOnly Date, string PatientNo, int Queue, bool ChildMedicalSubsidy, DateTimeOffset At, bool MyNumber = false);

/// <summary>A participation as the welfare sector may see it: the person's welfare sector ID.</summary>
public sealed record ParticipationRecord(string Pid, string Event, string Sector, string SectorId, DateTimeOffset In, DateTimeOffset? Out, long Points);

/// <summary>Where a device stands: the highest seq settled (the ack's upTo) and when it was last heard.</summary>
public sealed record DeviceProgress(string Device, ulong UpTo, DateTimeOffset LastSeen, long EventsApplied);

/// <summary>What a quarantine record is about: a whole batch refused, or one event of a batch rejected.</summary>
public enum QuarantineKind
{
    Batch,
    Event,
}

/// <summary>What <see cref="IIngestWrite.AddQuarantine"/> did with an entry.</summary>
public enum QuarantineOutcome
{
    /// <summary>Stored as a new record.</summary>
    Added,

    /// <summary>The same device, code, payload (and seq) was stored before: its <c>repeats</c> went up by one.</summary>
    Repeated,

    /// <summary>Over the device's or the total limit: not stored, only counted under the device and the code.</summary>
    Dropped,
}

/// <summary>
/// The quarantine's bounds (<see cref="IngestOptions"/>, docs/ingest.md "Quarantine"): bytes of records per device and
/// in all, the most of a payload a record keeps, and how long a record is kept.
/// </summary>
public sealed record QuarantineLimits(long DeviceBytes, long TotalBytes, int PayloadBytes, TimeSpan Retention)
{
    /// <summary>16 MiB per device, 1 GiB in all, 64 KiB of each payload, 90 days.</summary>
    public static readonly QuarantineLimits Default = new(16L << 20, 1L << 30, 64 << 10, TimeSpan.FromDays(90));

    /// <summary>
    /// What a record counts against the limits beyond its kept payload and its text: its document, its index entries and
    /// its usage share, rounded up (a record's own fields are under 100 bytes; each of its five index entries ~40).
    /// </summary>
    public const int RecordOverhead = 512;

    /// <summary>Most characters of a device id or a reason code a record keeps: both are short words, a longer one is cut.</summary>
    public const int MaxNameLength = 100;
}

/// <summary>
/// A refused batch or event as intake hands it to the store: the payload's SHA-256 and size as it arrived, and the bytes
/// kept of it (card proofs redacted, then cut at <see cref="QuarantineLimits.PayloadBytes"/>).
/// </summary>
public sealed record QuarantineEntry(QuarantineKind Kind, string Device, string Topic, string Code, string Reason, ulong? Seq, DateTimeOffset At, string Sha256, long Size, byte[] Kept)
{
    /// <summary>What the record counts against the limits (<see cref="QuarantineLimits.RecordOverhead"/>).</summary>
    public long Bytes => Kept.LongLength + System.Text.Encoding.UTF8.GetByteCount(Device) + System.Text.Encoding.UTF8.GetByteCount(Topic)
        + System.Text.Encoding.UTF8.GetByteCount(Code) + System.Text.Encoding.UTF8.GetByteCount(Reason) + QuarantineLimits.RecordOverhead;
}

/// <summary>
/// A stored quarantine record, without its payload (<see cref="IIngestStore.QuarantinePayload"/>). <see cref="Id"/> rises
/// with each record added: it is the paging key. <see cref="At"/> is when it was first quarantined, <see cref="Size"/> and
/// <see cref="Sha256"/> are of the payload as it arrived (the kept payload may be shorter), <see cref="Bytes"/> what it counts
/// against the limits.
/// </summary>
public sealed record QuarantineRecord(long Id, QuarantineKind Kind, string Device, string Topic, string Code, string Reason, ulong? Seq, DateTimeOffset At, long Size, string Sha256, long Repeats, long Bytes);

/// <summary>
/// Which records a page holds: a device, a reason code, or both (null: any), newest first, those with an id below
/// <see cref="Before"/> (null: from the newest), at most <see cref="Limit"/>.
/// </summary>
public sealed record QuarantineQuery(string? Device, string? Code, long? Before, int Limit);

/// <summary>One page of quarantine records, newest first; <see cref="Next"/> is the <c>before</c> of the next page, null on the last.</summary>
public sealed record QuarantinePage(IReadOnlyList<QuarantineRecord> Items, long? Next);

/// <summary>What one device holds in the quarantine, and how many of its refusals were only counted, by code.</summary>
public sealed record QuarantineUsage(string Device, long Records, long Bytes, IReadOnlyDictionary<string, long> Dropped);

/// <summary>A retained MQTT message kept across restarts (MQTTnet keeps them in memory only).</summary>
public sealed record RetainedRecord(string Topic, byte[] Payload);

/// <summary>The unit of work of <see cref="IIngestStore.Write{T}"/>.</summary>
public interface IIngestWrite : ISharedStateWrite
{
    /// <summary>Inserts the tap, or returns false when (device, seq) is already stored.</summary>
    bool TryAddTap(TapRecord tap);

    /// <summary>
    /// Inserts the taps whose (device, seq) is not stored yet, as <see cref="TryAddTap"/> one by one would (a later tap of
    /// the list with an earlier one's key is not inserted); returns, for each, whether it was. PostgreSQL: one statement.
    /// </summary>
    bool[] TryAddTaps(IReadOnlyList<TapRecord> taps);

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

    /// <summary>
    /// The person's top-ups and adjustments with <c>at ≥ from</c> (those an evaluation from that day's checkpoint
    /// replays): a range of the store's index on (person, at), never the whole history.
    /// </summary>
    IReadOnlyList<ValueChange> ValueChangesOf(string pid, DateTimeOffset from);

    /// <summary>The top-up or adjustment stored under <see cref="ValueChange.Key"/>, and its person, or null.</summary>
    (string Pid, ValueChange Change)? FindValueChange(string key);

    /// <summary>Stores the change unless one with its <see cref="ValueChange.Key"/> exists.</summary>
    bool TryAddValueChange(string pid, ValueChange change);

    PersonState? GetPersonForUpdate(string pid);

    /// <summary>
    /// The person's stored trips and postings of the service days from <paramref name="from"/> on (what an evaluation
    /// from that day's checkpoint replaces): a range of the store's index on (person, day), never the whole history.
    /// </summary>
    SettledDays SettledFrom(string pid, DateOnly from);

    /// <summary>
    /// Locks, at the unit's start, the devices and then the persons it will touch, each list sorted, so that units of
    /// two processes never wait on each other in a cycle (PostgreSQL: the device's advisory lock, then SELECT … FOR
    /// UPDATE of the persons in pid order, inserting missing rows first). A store of one process may do nothing.
    /// </summary>
    void LockAhead(IReadOnlyList<string> devices, IReadOnlyList<string> persons);

    /// <summary>
    /// Remembers whose a sector ID is, for an operator's lookup by it (<see cref="IIngestStore.PidOfSector"/>): written
    /// once, when the person's first facts arrive, so the lookup is one read and nothing is computed per person.
    /// </summary>
    void IndexSector(string sectorId, string pid);

    /// <summary>
    /// Replaces the person's state, the trips and postings of the service days from <paramref name="replayedFrom"/> on
    /// with <paramref name="replayed"/>, and the check-ins and participations at or after it (the start of the days the
    /// evaluation replayed; earlier ones stay), and appends the new entries.
    /// </summary>
    void PutPerson(PersonState state, SettledDays replayed, IReadOnlyList<WalletEntry> newEntries, IReadOnlyList<CheckInRecord> checkIns, IReadOnlyList<ParticipationRecord> participations, DateTimeOffset replayedFrom);

    DeviceProgress? GetDevice(string device);

    void PutDevice(DeviceProgress progress);

    /// <summary>
    /// Quarantines the entry within <paramref name="limits"/>: counts a repeat of a stored record (same device, code,
    /// SHA-256 and seq), adds a new one while the device's and the total bytes stay within the limits, and otherwise
    /// only counts it under the device and the code (see the file's comment).
    /// </summary>
    QuarantineOutcome AddQuarantine(QuarantineEntry entry, QuarantineLimits limits);

    string? GetMeta(string key);

    /// <summary>
    /// The value, locked until the unit ends: a unit of another worker reading the key this way waits for this one's
    /// commit, so that a read-modify-write (a list kept under one key) loses no other worker's change. Take such keys
    /// after the unit's devices and persons, in key order, and before <see cref="ISharedStateWrite.LockDenyVersion"/>.
    /// </summary>
    string? GetMetaForUpdate(string key);

    /// <summary>
    /// Locks the key until the unit ends without reading it, as <see cref="GetMetaForUpdate"/> does: a key standing for
    /// several (the devices' <c>cfg:DEVICE</c> versions under <c>cfg</c>), so that one lock orders every unit that writes them.
    /// </summary>
    void LockKey(string key);

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

public interface IIngestStore : IStoreMaintenance, ISharedState, IConsoleStateStore, IDisposable
{
    /// <summary>
    /// Runs <paramref name="work"/> as one atomic, durable unit (see the file's comment). The store may run
    /// <paramref name="work"/> again after rolling the unit back (PostgreSQL: a deadlock between two workers), so it must
    /// change nothing but the unit and state it creates itself; what follows the commit goes after Write returns.
    /// </summary>
    T Write<T>(Func<IIngestWrite, T> work);

    PersonState? GetPerson(string pid);

    /// <summary>
    /// One page of the person's trips (<see cref="TripPage"/>): whole service days before <paramref name="before"/> (null:
    /// from the newest), newest first, until at least <paramref name="limit"/> trips. Reads the page's days only.
    /// </summary>
    TripPage TripsPage(string pid, DateOnly? before, int limit);

    /// <summary>The person a sector ID stands for, when the store has their facts; null otherwise.</summary>
    string? PidOfSector(string sectorId);

    IReadOnlyList<WalletEntry> EntriesOf(string pid);

    /// <summary>
    /// One keyset page of the person's entries, newest first: at most <paramref name="limit"/> recorded before the
    /// cursor <paramref name="before"/> (a page's <see cref="WalletEntryPage.Next"/>; null: from the newest). Reads the
    /// page, not the person's whole history (LiteDB: the entries kept with the state and the archive documents the page
    /// falls in; PostgreSQL: a backward range of the index (pid, recorded_at, id)).
    /// </summary>
    WalletEntryPage EntriesPage(string pid, long? before, int limit);

    IReadOnlyList<CheckInRecord> CheckIns(string clinic, DateOnly date);

    IReadOnlyList<ParticipationRecord> Participations(string eventId);

    IReadOnlyList<DeviceProgress> Devices();

    /// <summary>One keyset page of the quarantine (see the file's comment): reads at most one page of records.</summary>
    QuarantinePage Quarantine(QuarantineQuery query);

    /// <summary>The payload kept of a record, or null when there is no record <paramref name="id"/>.</summary>
    byte[]? QuarantinePayload(long id);

    /// <summary>
    /// Removes at most <paramref name="max"/> records first quarantined before <paramref name="olderThan"/>, oldest
    /// first, with their payloads and their share of the usage, as one durable unit; returns how many.
    /// </summary>
    int PurgeQuarantine(DateTimeOffset olderThan, int max);

    /// <summary>Every device's usage (kept as counters, never summed over records).</summary>
    IReadOnlyList<QuarantineUsage> QuarantineUsage();

    /// <summary>
    /// Removes raw taps of service days before <paramref name="before"/> (<see cref="TapRetention"/>), about
    /// <paramref name="max"/> at most (LiteDB: whole day documents), as one durable unit; returns how many (0: none left).
    /// A person's latest day with taps stays whatever its age: the person's next fact resumes from that day's checkpoint
    /// and replays that day. Checkpoints, entries, top-ups, check-ins, participations and (LiteDB) the de-duplication
    /// record stay.
    /// </summary>
    int PurgeTaps(DateOnly before, int max);

    IReadOnlyList<string> PersonsInDebt();

    /// <summary>
    /// Every person's trips of one service day (<c>yyyy-MM-dd</c>, as <see cref="Trip.ServiceDay"/>), streamed: what the
    /// transport reports aggregate. The work is one day's trips plus a lookup per person, whatever the history's length.
    /// </summary>
    IEnumerable<(string Pid, Trip Trip)> TripsOn(string serviceDay);

    /// <summary>
    /// A number that moves whenever a unit committed by this process changed the trips of <paramref name="serviceDay"/>
    /// (<c>yyyy-MM-dd</c>), for a reader that keeps what it computed from <see cref="TripsOn"/> until then; null when
    /// the store cannot tell (other processes write to it), and such a reader reads the trips each time.
    /// </summary>
    long? TripsVersion(string serviceDay);

    /// <summary>Persons with an open trip whose board + 180 min is at or before <paramref name="now"/>.</summary>
    IReadOnlyList<string> PersonsDueForClose(DateTimeOffset now);

    string? GetMeta(string key);

    /// <summary>The values of those of <paramref name="keys"/> that are set, by key, in one read.</summary>
    IReadOnlyDictionary<string, string> GetMetas(IReadOnlyCollection<string> keys);

    IReadOnlyList<RetainedRecord> RetainedMessages();

    /// <summary>Stores (or, with an empty payload, removes) a retained message; durable on return.</summary>
    void PutRetained(RetainedRecord message);
}
