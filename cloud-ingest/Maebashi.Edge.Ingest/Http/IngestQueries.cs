using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Ingest.Pipeline;
using Maebashi.Edge.Ingest.Store;

namespace Maebashi.Edge.Ingest.Http;

/// <summary>A device as the devices view shows it: the registry's entry, its progress in the store, its last status.</summary>
public sealed record DeviceView(DeviceEntry Device, DeviceProgress? Progress, DeviceStatus? Status)
{
    /// <summary>Online or degraded by its last retained status; a device that never published one is not online.</summary>
    public bool Online => Status is not null && Status.State != "offline";

    /// <summary>When the ingest last heard of it: its last batch or its last status, whichever is later.</summary>
    public DateTimeOffset? LastHeard => (Progress?.LastSeen, Status?.At) switch
    {
        ({ } seen, { } at) => seen > at ? seen : at,
        (var seen, var at) => seen ?? at,
    };
}

/// <summary>
/// What the HTTP API reads: the registry, the store's committed state and the devices' retained statuses.
/// Reads only; the one write of the API (a charge) goes through the pipeline.
/// </summary>
public sealed class IngestQueries(IngestPipeline pipeline, IIngestStore store)
{
    private const string DenyVersionMeta = "denyVersion";

    /// <summary>Throws when the store does not answer.</summary>
    public void CheckStoreAnswers() => store.GetMeta(DenyVersionMeta);

    public CardEntry? FindCard(string tok) => pipeline.Registry.FindCard(tok);

    public ClinicDef? FindClinic(string clinicId) => pipeline.Registry.FindClinic(clinicId);

    public EventDef? FindEvent(string eventId) => pipeline.Registry.FindEvent(eventId);

    /// <summary>The person's wallet as last evaluated, or as the rules see a person with no history yet.</summary>
    public PersonState WalletOf(string pid) => pipeline.WalletOf(pid);

    public IReadOnlyList<WalletEntry> EntriesOf(string pid) => store.EntriesOf(pid);

    public IReadOnlyList<CheckInRecord> CheckIns(string clinicId, DateOnly day) => store.CheckIns(clinicId, day);

    public IReadOnlyList<ParticipationRecord> Participations(string eventId) => store.Participations(eventId);

    /// <summary>Every device of the registry, by id.</summary>
    public IReadOnlyList<DeviceView> Devices()
    {
        Dictionary<string, DeviceProgress> progress = store.Devices().ToDictionary(d => d.Device, StringComparer.Ordinal);
        IReadOnlyDictionary<string, DeviceStatus> statuses = pipeline.Statuses;
        return
        [
            .. pipeline.Registry.Devices
                .OrderBy(d => d.Id, StringComparer.Ordinal)
                .Select(d => new DeviceView(d, progress.GetValueOrDefault(d.Id), statuses.GetValueOrDefault(d.Id))),
        ];
    }

    public IReadOnlyList<QuarantineRecord> Quarantine(int limit) => store.Quarantine(limit);

    public long QuarantineCount() => store.QuarantineCount();
}
