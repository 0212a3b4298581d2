using System.Globalization;
using Maebashi.Edge.Ingest.GtfsRealtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Maebashi.Edge.Ingest.Http;

/// <summary>
/// <c>GET /gtfs-rt/vehicle-positions</c> (docs/contract.md §6): public — no token, as journey planners and map apps
/// fetch it — and free of personal data. Protobuf by default, the proto3 JSON mapping with <c>?format=json</c>.
/// </summary>
public static class GtfsRealtimeEndpoints
{
    public const string VehiclePositionsPath = "/gtfs-rt/vehicle-positions";

    /// <summary>What GTFS-Realtime consumers expect for the binary feed.</summary>
    public const string ProtobufContentType = "application/x-protobuf";

    public static void MapGtfsRealtime(this IEndpointRouteBuilder app) =>
        app.MapGet(VehiclePositionsPath, VehiclePositions).AllowAnonymous();

    private static IResult VehiclePositions(HttpContext ctx, string? format, VehiclePositionsFeed feed, TimeProvider time)
    {
        if (format is not (null or "json"))
        {
            return Results.Problem(detail: "format: expected ?format=json, or no format for protobuf", statusCode: StatusCodes.Status400BadRequest);
        }

        BuiltFeed built = feed.Current();

        // A reader's cache adds to the server's: together they never hold a feed longer than CacheFor.
        TimeSpan left = VehiclePositionsFeed.CacheFor - (time.GetUtcNow() - built.At);
        int maxAge = Math.Clamp((int)left.TotalSeconds, 0, (int)VehiclePositionsFeed.CacheFor.TotalSeconds);
        ctx.Response.Headers.CacheControl = "public, max-age=" + maxAge.ToString(CultureInfo.InvariantCulture);
        ctx.Response.Headers.LastModified = built.At.ToString("R", CultureInfo.InvariantCulture);
        return format == "json"
            ? Results.Text(built.Json, "application/json; charset=utf-8")
            : Results.Bytes(built.Protobuf, ProtobufContentType);
    }
}
