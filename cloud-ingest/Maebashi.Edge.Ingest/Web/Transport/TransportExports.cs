using System.Globalization;
using System.Text;
using CsvHelper;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Ingest.Http;
using Maebashi.Edge.Ingest.Pipeline;
using Maebashi.Edge.Ingest.Rules;
using Maebashi.Edge.Ingest.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Maebashi.Edge.Ingest.Web.Transport;

/// <summary>
/// The transport figures as CSV for a range of service days, with no row limit: streamed day by day, so memory stays
/// that of one day's aggregates whatever the range. UTF-8 with a BOM (Excel opens it as such); a cell starting with
/// <c>=</c>, <c>+</c>, <c>-</c> or <c>@</c> is escaped against formula injection; riders are named by their transport
/// sector ID, never a card token or PID. Every export is audited.
/// </summary>
public static class TransportExports
{
    public const string Route = "/console/transport/export";

    /// <summary>The longest range one export covers.</summary>
    public const int MaxDays = 366;

    // A spreadsheet runs a text cell starting with = + - @ as a formula: such cells are escaped (numbers are not text).
    private static readonly CsvWriterOptions Options = new() { Injection = CsvInjection.Escape, WriteByteOrderMark = true };

    public static readonly IReadOnlyList<string> Reports = ["routes", "stops", "od", "trips", "missing-tap-off", "capped", "transfers"];

    public static string Href(string report, DateOnly from, DateOnly to) =>
        $"{Route}?report={report}&from={JstText.Day(from)}&to={JstText.Day(to)}";

    public static void MapTransportExports(this IEndpointRouteBuilder app) =>
        app.MapGet(Route, Export).RequireAuthorization(ScopePolicies.ConsoleTransport);

    private static async Task<IResult> Export(HttpContext http, string? report, string? from, string? to, IIngestStore store, TransportReports reports, IngestPipeline pipeline, AuditLog audit)
    {
        if (report is null || !Reports.Contains(report, StringComparer.Ordinal))
        {
            return Results.Problem(detail: $"report: expected one of {string.Join(", ", Reports)}", statusCode: StatusCodes.Status400BadRequest);
        }

        if (from is null || JstText.ParseDay(from) is not { } first || to is null || JstText.ParseDay(to) is not { } last)
        {
            return Results.Problem(detail: "from, to: expected ?from=YYYY-MM-DD&to=YYYY-MM-DD (service days)", statusCode: StatusCodes.Status400BadRequest);
        }

        if (last < first || last.DayNumber - first.DayNumber >= MaxDays)
        {
            return Results.Problem(detail: $"to: expected a day from 'from' to {MaxDays} days after it", statusCode: StatusCodes.Status400BadRequest);
        }

        audit.Record(http.User, "GET", Route + "?report=" + report, StatusCodes.Status200OK, []);
        http.Response.ContentType = "text/csv; charset=utf-8";
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"{report}-{from}_{to}.csv\"";
        http.Response.Headers.CacheControl = "no-store";
        await using CsvWriter csv = CsvWriter.Create(http.Response.Body, Options, leaveOpen: true);
        WriteHeader(csv, report);
        for (DateOnly day = first; day <= last; day = day.AddDays(1))
        {
            await WriteDay(csv, report, JstText.Day(day), store, reports, pipeline, http.RequestAborted);
            await csv.FlushAsync(http.RequestAborted);
        }

        return Results.Empty;
    }

    private static void WriteHeader(CsvWriter csv, string report)
    {
        string[] header = report switch
        {
            "routes" => ["営業日 / Service day", "路線 / Route", "乗車 / Trips", "利用者数 / Riders", "運賃収入 / Revenue (yen)", "降車タッチなし / No tap-off", "乗継 / Transfers", "上限適用 / Capped"],
            "stops" => ["営業日 / Service day", "路線 / Route", "停留所 / Stop", "乗車 / Boardings", "降車 / Alightings"],
            "od" => ["営業日 / Service day", "路線 / Route", "乗車停留所 / Origin", "降車停留所 / Destination", "乗車 / Trips", "運賃収入 / Revenue (yen)"],
            _ => ["営業日 / Service day", "交通ID / Transport sector ID", "路線 / Route", "車両 / Vehicle", "乗車停留所 / Boarded at", "乗車時刻 / Boarded", "降車停留所 / Alighted at", "降車時刻 / Alighted", "締め / Close", "区分 / Category", "大人運賃 / Adult fare", "区分運賃 / Category fare", "乗継割引 / Transfer discount", "上限による減額 / Cap reduction", "運賃 / Fare"],
        };
        csv.WriteRecord(header);
    }

    private static async Task WriteDay(CsvWriter csv, string report, string serviceDay, IIngestStore store, TransportReports reports, IngestPipeline pipeline, CancellationToken cancel)
    {
        switch (report)
        {
            case "routes":
                foreach (RouteDayRow r in reports.For(serviceDay).Routes)
                {
                    Fields(csv, r.ServiceDay, r.Route, r.Trips, r.Riders, r.Revenue, r.MissingTapOff, r.Transfers, r.Capped);
                }

                break;
            case "stops":
                foreach (StopDayRow s in reports.For(serviceDay).Stops)
                {
                    Fields(csv, s.ServiceDay, s.Route, s.Stop, s.Boardings, s.Alightings);
                }

                break;
            case "od":
                foreach (OriginDestinationRow p in reports.For(serviceDay).OriginDestination)
                {
                    Fields(csv, p.ServiceDay, p.Route, p.Origin, p.Destination, p.Trips, p.Revenue);
                }

                break;
            default:
                TripSelection selection = report switch
                {
                    "missing-tap-off" => TripSelection.MissingTapOff,
                    "capped" => TripSelection.Capped,
                    "transfers" => TripSelection.Transfer,
                    _ => TripSelection.All,
                };
                int n = 0;
                foreach ((string pid, Trip t) in store.TripsOn(serviceDay))
                {
                    if (!TransportReport.Selects(selection, t))
                    {
                        continue;
                    }

                    Fields(csv, t.ServiceDay, pipeline.Registry.SectorIdFor(pid, SectorId.Transport), t.Route, t.Vehicle,
                        t.BoardStop ?? "", t.BoardAt is { } b ? JstText.Time(b) : "", t.AlightStop ?? "", t.AlightAt is { } a ? JstText.Time(a) : "",
                        t.Close.ToString(), t.Category, t.AdultFare, t.CategoryFare, t.TransferDiscount, t.CapReduction, t.Charge);
                    if (++n % 1000 == 0)
                    {
                        await csv.FlushAsync(cancel);
                    }
                }

                break;
        }
    }

    /// <summary>One record: text as text (escaped against injection), numbers as numbers.</summary>
    private static void Fields(CsvWriter csv, params object[] values)
    {
        foreach (object v in values)
        {
            switch (v)
            {
                case long n:
                    csv.WriteField(n, default);
                    break;
                case int n:
                    csv.WriteField(n, default);
                    break;
                default:
                    csv.WriteField(Convert.ToString(v, CultureInfo.InvariantCulture) ?? "");
                    break;
            }
        }

        csv.EndRecord();
    }
}
