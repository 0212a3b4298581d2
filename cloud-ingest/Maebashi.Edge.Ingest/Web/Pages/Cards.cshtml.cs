using System.Globalization;
using System.Security.Cryptography;
using Maebashi.Edge.Ingest.Http;
using Maebashi.Edge.Ingest.Pipeline;
using Maebashi.Edge.Ingest.Rules;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Maebashi.Edge.Ingest.Web.Pages;

/// <summary>
/// Transport and admin: a rider looked up by card token or transport sector ID — cards, value, each trip's fare step
/// by step, the newest entries — and the counter's forms: a refund or correction with a reason, and a top-up with a
/// receipt. The forms go through the same checks and the same idempotent write as the API; every read and write is audited.
/// </summary>
[Authorize(Policy = ScopePolicies.ConsoleTransport)]
[RequestSizeLimit(ConsoleForms.MaxBodyBytes)]
[RequestFormLimits(ValueLengthLimit = ConsoleForms.MaxBodyBytes, ValueCountLimit = ConsoleForms.MaxValues)]
public sealed class CardsModel(IngestQueries queries, IngestPipeline pipeline, AuditLog audit) : ConsolePage
{
    public const string Route = "/console/cards";

    /// <summary>Entries shown, newest first.</summary>
    public const int EntriesShown = 50;

    public string Query { get; private set; } = "";

    public RiderRecord? Rider { get; private set; }

    /// <summary>This page of the rider's trips, newest first: whole service days, at least <see cref="Pager.PageSize"/> trips when there are as many.</summary>
    public IReadOnlyList<Trip> Trips { get; private set; } = [];

    /// <summary>The link to the older trips (null: this page holds the oldest), and whether this page is the newest.</summary>
    public string? OlderTrips { get; private set; }

    public bool NewestTrips { get; private set; } = true;

    /// <summary>What the last form did, for the clerk.</summary>
    public string? Done { get; private set; }

    /// <summary>A fresh id for each rendered form: submitting the same form twice is a replay, applied once.</summary>
    public string FormId { get; } = "C-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8));

    public static IReadOnlyList<string> Reasons => AdjustmentReasons.All;

    public IActionResult OnGet([FromQuery] string? q, [FromQuery(Name = TripPaging.Parameter)] string? tripsBefore)
    {
        if (!TripPaging.TryParse(tripsBefore, out DateOnly? before))
        {
            return Bad(TripPaging.BadCursorMessage);
        }

        return Show(q, before, StatusCodes.Status200OK);
    }

    public IActionResult OnPostAdjust(string? q, string? tok, string? id, string? amount, string? reason, string? note)
    {
        if (!long.TryParse(amount, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long yen))
        {
            Show(q, null, StatusCodes.Status400BadRequest);
            return Bad("金額は符号付きの整数（円）です / amount: expected signed whole yen");
        }

        var request = new ValueChangeRequest(ValueChangeKind.Adjustment, id ?? "", yen, reason, string.IsNullOrWhiteSpace(note) ? null : note.Trim());
        return Submit(q, tok, request, "調整 / Adjustment");
    }

    public IActionResult OnPostTopUp(string? q, string? tok, string? receipt, string? amount)
    {
        if (!long.TryParse(amount, NumberStyles.None, CultureInfo.InvariantCulture, out long yen))
        {
            Show(q, null, StatusCodes.Status400BadRequest);
            return Bad("金額は1円以上の整数です / amount: expected whole yen from 1");
        }

        var request = new ValueChangeRequest(ValueChangeKind.TopUp, receipt?.Trim() ?? "", yen, null, null);
        return Submit(q, tok, request, "チャージ / Top-up");
    }

    private IActionResult Submit(string? q, string? tok, ValueChangeRequest request, string what)
    {
        if (request.Problem() is { } problem)
        {
            Show(q, null, StatusCodes.Status400BadRequest);
            return Bad(problem);
        }

        string route = Route + (request.Kind == ValueChangeKind.TopUp ? " (top-up)" : " (adjustment)");
        (int status, ChargeOutcome? outcome) = ValueChangeEndpoints.Apply(request, tok ?? "", User, queries, pipeline, audit, route);
        Show(q, null, status);
        if (status == StatusCodes.Status404NotFound)
        {
            return Fail(status, "このカードトークンはありません / Unknown card token");
        }

        if (status == StatusCodes.Status409Conflict)
        {
            return Fail(status, "この番号は別の内容で使われています / This id was already used for another card or amount");
        }

        string amountText = request.Amount.ToString("+#;-#", CultureInfo.InvariantCulture);
        Done = outcome!.Status == ChargeStatus.Applied
            ? $"{what}：{amountText}円を反映しました（残高 {outcome.Value}円） / {what}: {amountText} yen applied (value ¥{outcome.Value})"
            : $"{what}：反映済みです（二重送信） / {what}: already applied (sent twice)";
        return Page();
    }

    private IActionResult Show(string? q, DateOnly? tripsBefore, int status)
    {
        Query = q?.Trim() ?? "";
        if (Query.Length == 0)
        {
            return Page();
        }

        if (Query.Length > 100)
        {
            return Bad("カードトークンか交通IDを入力してください / Enter a card token or a transport sector ID");
        }

        Rider = queries.Rider(Query, EntriesShown, tripsBefore, Web.Pager.PageSize);
        if (Rider is null)
        {
            audit.Record(User, "GET", Route, StatusCodes.Status404NotFound, []);
            Response.StatusCode = StatusCodes.Status404NotFound;
            return Page();
        }

        Trips = Rider.Trips.Items;
        NewestTrips = tripsBefore is null;
        OlderTrips = Rider.Trips.Next is { } next
            ? Route + QueryString.Create(new KeyValuePair<string, string?>[] { new("q", Query), new(TripPaging.Parameter, TripPaging.Format(next)) }).ToUriComponent()
            : null;
        audit.Record(User, "GET", Route, status, [.. Rider.Cards.Select(c => c.Token)]);
        Response.StatusCode = status;
        return Page();
    }
}
