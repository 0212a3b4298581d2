using System.Globalization;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Ingest.Http;
using Maebashi.Edge.Ingest.Pipeline;
using Maebashi.Edge.Ingest.Rules;
using Maebashi.Edge.Ingest.Store;

namespace Maebashi.Edge.Ingest.Web.MyPage;

/// <summary>One of the citizen's cards: its token (their own, so it may be shown) and whether it is denied now.</summary>
public sealed record MyCard(string Token, string Tech, bool Lost, bool LostAtRunTime);

/// <summary>An audit line about the citizen: who (scope), when, what was read.</summary>
public sealed record MyAuditEntry(DateTimeOffset At, string Scope, string Method, string Route, int Status);

/// <summary>Everything My Page shows of one person, and nothing of anyone else; the entries and the trips one page at a time, newest first.</summary>
public sealed record MyView(
    PersonState Wallet,
    WalletEntryPage Entries,
    TripPage Trips,
    IReadOnlyList<MyCard> Cards,
    IReadOnlyList<CheckInRecord> CheckIns,
    IReadOnlyList<ParticipationRecord> Events,
    IReadOnlyList<MyAuditEntry> ReadBy);

/// <summary>
/// My Page's reads, through <see cref="IngestQueries"/> and the registry, for the person behind a citizen's account.
/// The PID stays inside: what leaves is the person's own wallet, cards, check-ins, events and audit lines.
/// </summary>
public sealed class MyPageQueries(IngestQueries queries, IngestPipeline pipeline, CitizenAccounts accounts, IIngestStore store, TimeProvider time)
{
    /// <summary>Check-ins are found per clinic and day (the store has no per-person index of them): this many days back.</summary>
    public const int CheckInDays = 31;

    /// <summary>"Who read my data" shows the newest this many records naming the person (one indexed read, whatever the log's age).</summary>
    public const int MaxAuditEntries = 200;

    private static readonly TimeSpan Jst = TimeSpan.FromHours(9);

    /// <summary>Entries on one page of My Page.</summary>
    public const int EntriesPerPage = 50;

    /// <summary>Trips on one page of My Page (whole service days: at least this many when there are as many).</summary>
    public const int TripsPerPage = 50;

    /// <param name="entriesBefore">The page of entries: the cursor of the page before it (null: the newest).</param>
    /// <param name="tripsBefore">The page of trips: the service day the previous page ended on (null: the newest).</param>
    public MyView? For(string login, long? entriesBefore = null, DateOnly? tripsBefore = null)
    {
        if (accounts.Find(login) is not { } account)
        {
            return null;
        }

        string pid = account.Pid;
        CityRegistry registry = pipeline.Registry;
        IReadOnlyList<CardEntry> cards = registry.CardsOf(pid);
        DateOnly today = DateOnly.FromDateTime(time.GetUtcNow().ToOffset(Jst).DateTime);
        List<CheckInRecord> checkIns = [];
        foreach (ClinicDef clinic in registry.Clinics)
        {
            for (int back = 0; back < CheckInDays; back++)
            {
                checkIns.AddRange(queries.CheckIns(clinic.Id, today.AddDays(-back)).Where(c => c.Pid == pid));
            }
        }

        List<ParticipationRecord> events = [.. registry.Events.SelectMany(e => queries.Participations(e.Id)).Where(p => p.Pid == pid).OrderByDescending(p => p.In)];

        // What the audit log names a person by: their card tokens, their transport and welfare sector IDs, their patient numbers.
        var subjects = new HashSet<string>(cards.Select(c => c.Token), StringComparer.Ordinal)
        {
            registry.SectorIdFor(pid, SectorId.Transport),
            registry.SectorIdFor(pid, SectorId.Welfare),
        };
        subjects.UnionWith(checkIns.Select(c => c.PatientNo));

        return new MyView(
            queries.WalletOf(pid),
            queries.EntriesPage(pid, entriesBefore, EntriesPerPage),
            queries.TripsPage(pid, tripsBefore, TripsPerPage),
            [.. cards.Select(c => new MyCard(c.Token, c.Tech.ToString(), c.Lost || pipeline.CardStatusOf(c.Token) is not null, pipeline.CardStatusOf(c.Token) is not null))],
            [.. checkIns.OrderByDescending(c => c.At)],
            events,
            ReadAudit(subjects));
    }

    /// <summary>The card, when it is one of the citizen's (null for anyone else's card).</summary>
    public CardEntry? OwnCard(string login, string? token) =>
        token is not null && accounts.Find(login) is { } account && queries.FindCard(token) is { } card && card.Pid == account.Pid ? card : null;

    /// <summary>The PID of a card, for enrollment (never shown).</summary>
    public string? PidOfCard(string token) => queries.FindCard(token)?.Pid;

    private List<MyAuditEntry> ReadAudit(HashSet<string> subjects) =>
        [.. store.AuditAbout(subjects, MaxAuditEntries).Select(e => new MyAuditEntry(e.At, e.Scope, e.Method, e.Route, e.Status))];

    /// <summary>A time as My Page shows it: JST, to the minute.</summary>
    public static string JstText(DateTimeOffset at) => at.ToOffset(Jst).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
}
