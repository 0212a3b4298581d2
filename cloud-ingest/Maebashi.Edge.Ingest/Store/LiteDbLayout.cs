namespace Maebashi.Edge.Ingest.Store;

/// <summary>
/// The collections of the LiteDB store's file and the sizes of its documents (docs/ingest.md, "Storage").
/// </summary>
internal static class LiteDbLayout
{
    /// <summary>
    /// The facts before issue 13's storage: documents of up to <see cref="MaxTapsPerDocument"/> taps, in commit order, all
    /// read at start. A store that has them moves them into <see cref="DayTaps"/> and <see cref="SeqBlocks"/> on open.
    /// </summary>
    public const string LegacyUnits = "units";

    /// <summary>
    /// The facts and results by person (or vehicle) and service day (<see cref="LiteDbDayTaps"/>): a person's day
    /// document holds the day's taps, its trips and postings and its checkpoint, whichever it has.
    /// </summary>
    public const string DayTaps = "daytaps";

    /// <summary>The de-duplication record: a bit per (device, seq) stored (<see cref="LiteDbDayTaps"/>).</summary>
    public const string SeqBlocks = "seqblocks";

    /// <summary>Entries of each of the working set's caches (<see cref="LiteDbWriteCache"/>) by default.</summary>
    public const int DefaultCacheCapacity = 20_000;

    /// <summary>Persons re-evaluated by each unit (their states: balances, no history), in commit order, since the last snapshot.</summary>
    public const string PersonLog = "personlog";

    /// <summary>Every person as of the last snapshot, <see cref="PersonsPerDocument"/> persons to a document, each snapshot a generation of ids.</summary>
    public const string PersonSnapshot = "personsnap";

    /// <summary>
    /// A person's state at the start of each service day with facts before it moved into the person's day document
    /// (<c>_id</c> "pid|yyyy-MM-dd", <c>b</c> the <see cref="Rules.DayCheckpoint"/> as JSON): moved on open.
    /// </summary>
    public const string LegacyCheckpoints = "checkpoints";

    /// <summary>
    /// A person's trips and postings by service day before they moved into the person's day document (<c>_id</c>
    /// "pid|yyyy-MM-dd", <c>dy</c>, <c>b</c> the <see cref="SettledDay"/> as JSON): moved on open.
    /// </summary>
    public const string LegacySettlements = "settlements";

    /// <summary>Latest checkpoints of a person kept in memory (older ones are read from <see cref="Checkpoints"/>).</summary>
    public const int CheckpointsInMemory = 2;

    public const string Entries = "entries";
    public const string CheckIns = "checkins";
    public const string Participations = "participations";
    public const string Devices = "devices";

    /// <summary>The quarantine's records without their payloads, their payloads, and its counters (<see cref="LiteDbQuarantine"/>).</summary>
    public const string QuarantineRecords = "quarantinerecords";
    public const string QuarantinePayloads = "quarantinepayloads";
    public const string QuarantineUsage = "quarantineusage";
    public const string QuarantineTotal = "quarantinetotal";

    /// <summary>The unbounded quarantine of stores written before the limits (one document per record, payload inside): moved into the above on open.</summary>
    public const string LegacyQuarantine = "quarantine";
    /// <summary>Operators' top-ups and adjustments, under <c>ValueChange.Key</c>.</summary>
    public const string ValueChanges = "valuechanges";
    public const string Meta = "meta";

    /// <summary>Sector ID → PID of each person with facts (<c>IIngestWrite.IndexSector</c>).</summary>
    public const string Sectors = "sectors";
    public const string Retained = "retained";

    /// <summary>ASP.NET Data Protection's key ring (<c>StoreXmlRepository</c>): <c>{ _id: key name, x: XML text }</c>, added and never changed.</summary>
    public const string DataProtectionKeys = "dataprotectionkeys";

    /// <summary>Taps per legacy <see cref="LegacyUnits"/> document.</summary>
    public const int MaxTapsPerDocument = 256;

    /// <summary>
    /// Persons per log or snapshot document: their JSON (~300 bytes a person) stays below the 85,000 bytes at
    /// which .NET allocates on the large object heap, whose collections are full, blocking ones over the whole
    /// heap. A person with 4 entries is under 1 KB.
    /// </summary>
    public const int PersonsPerDocument = 64;

    /// <summary>
    /// Entries kept with the person's state (in memory, packed, and logged with it each time); older ones move to
    /// <see cref="Entries"/>. Was 128: a year's store then held ~4 KiB of entries per person in memory, and a
    /// commuter's every tap re-serialised up to 128 entries into the person log; at 16, still 1.4 KiB a person packed
    /// (issue 13, docs/benchmarks.md "One year of a 340,000-person city").
    /// </summary>
    public const int InlineEntries = 4;
}
