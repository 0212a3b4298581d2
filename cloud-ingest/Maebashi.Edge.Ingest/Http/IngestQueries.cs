using Maebashi.Edge.Contract.Identity;
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

/// <summary>Why a card is on the deny list.</summary>
public enum DenyReason
{
    /// <summary>Lost: the registry export marks it, or it was reported lost at run time (My Page or an operator).</summary>
    Lost,

    /// <summary>Its person's value is below the debt limit: every card of the person is denied.</summary>
    Debt,

    /// <summary>A read of the card gave a clone signal (a forged or replayed SUN message): denied until an admin clears it.</summary>
    Clone,
}

/// <summary>A card on the deny list as the console shows it: the token and the person's transport sector ID, never the PID.</summary>
/// <param name="Authenticated">An <c>ntag424-sun</c> card; an unauthenticated one (UID only) can be copied, and operators see which.</param>
public sealed record DenyListRow(string Token, CardTech Tech, string TransportSectorId, DenyReason Reason, bool Authenticated);

/// <summary>A page of the deny list (by token) under the list's version, and how many cards it holds.</summary>
/// <summary>A rider as an operator looks them up (<see cref="IngestQueries.Rider"/>): by transport sector ID, never the PID.</summary>
public sealed record RiderRecord(string TransportSectorId, IReadOnlyList<RiderCard> Cards, PersonState Wallet, IReadOnlyList<WalletEntry> NewestEntries, TripPage Trips);

/// <summary>One of the rider's cards, and why it is on the deny list if it is.</summary>
public sealed record RiderCard(string Token, CardTech Tech, bool Authenticated, DenyReason? Denied);

public sealed record DenyListPage(long Version, IReadOnlyList<DenyListRow> Rows, int Total);

/// <summary>An event of the registry with its participants and the points they were issued.</summary>
public sealed record EventSummary(EventDef Event, int Participants, long Points);

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

    /// <summary>One page of the person's entries, newest first (<see cref="IIngestStore.EntriesPage"/>).</summary>
    public WalletEntryPage EntriesPage(string pid, long? before, int limit) => store.EntriesPage(pid, before, limit);

    /// <summary>One page of the person's trips, newest first (<see cref="IIngestStore.TripsPage"/>).</summary>
    public TripPage TripsPage(string pid, DateOnly? before, int limit) => store.TripsPage(pid, before, limit);

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

    /// <summary>One keyset page of the quarantine (docs/contract.md §6).</summary>
    public QuarantinePage Quarantine(QuarantineQuery query) => store.Quarantine(query);

    public byte[]? QuarantinePayload(long id) => store.QuarantinePayload(id);

    /// <summary>The deny list as devices hold it, one page by token, each card with why it is there.</summary>
    public DenyListPage DenyList(int skip, int take)
    {
        DenyList list = pipeline.CurrentDenyList();
        DenyListRow[] rows =
        [
            .. list.Tokens.Skip(skip).Take(take)
                .Select(tok => pipeline.Registry.FindCard(tok))
                .OfType<CardEntry>()
                .Select(c => new DenyListRow(
                    c.Token,
                    c.Tech,
                    pipeline.Registry.SectorIdFor(c.Pid, SectorId.Transport),
                    ReasonOf(c),
                    c.Authenticated)),
        ];
        return new DenyListPage(list.Version, rows, list.Tokens.Count);
    }

    /// <summary>
    /// An operator's lookup of a rider by card token or transport sector ID (either of the person's cards, any case
    /// of the sector ID): the person's transport sector ID, cards, wallet, newest entries and a page of trips; never the PID. Null when
    /// neither names a person the ingest knows (a sector ID is known once the person's first facts arrived).
    /// </summary>
    public RiderRecord? Rider(string query, int entries, DateOnly? tripsBefore, int trips)
    {
        string q = query.Trim();
        string? pid = q.Length == 0 ? null : FindCard(q)?.Pid ?? store.PidOfSector(q.ToUpperInvariant());
        if (pid is null)
        {
            return null;
        }

        DenyList list = pipeline.CurrentDenyList();
        RiderCard[] cards =
        [
            .. pipeline.Registry.CardsOf(pid).Select(c => new RiderCard(c.Token, c.Tech, c.Authenticated, list.Tokens.Contains(c.Token) ? ReasonOf(c) : null)),
        ];
        return new RiderRecord(
            pipeline.Registry.SectorIdFor(pid, SectorId.Transport),
            cards,
            pipeline.WalletOf(pid),
            store.EntriesPage(pid, null, entries).Items,
            store.TripsPage(pid, tripsBefore, trips));
    }

    /// <summary>The travel reviews kept, newest first.</summary>
    public IReadOnlyList<TravelReviewEntry> TravelReviews() => pipeline.TravelReviews();

    private DenyReason ReasonOf(CardEntry card) => pipeline.CardStatusOf(card.Token)?.Status switch
    {
        CardRunStatus.Clone => DenyReason.Clone,
        CardRunStatus.Lost => DenyReason.Lost,
        _ => card.Lost ? DenyReason.Lost : DenyReason.Debt,
    };

    /// <summary>The audit log, newest first, below record <paramref name="before"/> (null: from the newest record).</summary>
    public AuditPage Audit(long? before, int take, string? operatorName) => store.AuditPage(before, take, operatorName);

    /// <summary>Every event of the registry, latest start first, with its participants and points issued.</summary>
    public IReadOnlyList<EventSummary> Events() =>
    [
        .. pipeline.Registry.Events
            .OrderByDescending(e => e.Start)
            .ThenBy(e => e.Id, StringComparer.Ordinal)
            .Select(e =>
            {
                IReadOnlyList<ParticipationRecord> rows = store.Participations(e.Id);
                return new EventSummary(e, rows.Count, rows.Sum(r => r.Points));
            }),
    ];
}
