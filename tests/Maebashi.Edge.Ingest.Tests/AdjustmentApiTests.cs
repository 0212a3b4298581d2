using System.Text.Json;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>
/// <c>POST /api/v1/cards/{tok}/adjustments</c>: an operator's refund or correction changes the wallet exactly once,
/// is answered as a replay for the same id and body, and refused with 409 for the same id with anything else.
/// </summary>
[Trait("Category", "Web")]
public sealed class AdjustmentApiTests
{
    private static readonly string Card = TestKit.Tok("CAFEBABE");   // P0005: opening value 0
    private static readonly string Other = TestKit.Tok("DEADBEEF");

    private static string Path(string tok) => $"/api/v1/cards/{tok}/adjustments";

    [Fact]
    public async Task A_refund_changes_the_wallet_once_and_its_id_cannot_be_reused_for_another_body()
    {
        await using RunningIngest ingest = await RunningIngest.StartAsync();
        const string Refund = """{"id": "ADJ-2026-0001", "amount": 220, "reason": "device_fault", "note": "reader did not beep"}""";

        (int status, string body) = await ingest.Post(Path(Card), RunningIngest.TransportToken, Refund);
        Assert.Equal(200, status);
        JsonElement applied = TestKit.ParseJson(body);
        Assert.Equal("applied", applied.GetProperty("status").GetString());
        Assert.Equal(220, applied.GetProperty("value").GetInt64());

        (status, body) = await ingest.Post(Path(Card), RunningIngest.TransportToken, Refund);
        Assert.Equal(200, status);
        Assert.Equal("duplicate", TestKit.ParseJson(body).GetProperty("status").GetString());
        Assert.Equal(220, TestKit.ParseJson(body).GetProperty("value").GetInt64());

        Assert.Equal(409, (await ingest.Post(Path(Card), RunningIngest.TransportToken,
            """{"id": "ADJ-2026-0001", "amount": 230, "reason": "device_fault", "note": "reader did not beep"}""")).Status);
        Assert.Equal(409, (await ingest.Post(Path(Card), RunningIngest.TransportToken,
            """{"id": "ADJ-2026-0001", "amount": 220, "reason": "fare_error", "note": "reader did not beep"}""")).Status);
        Assert.Equal(409, (await ingest.Post(Path(Other), RunningIngest.TransportToken, Refund)).Status);

        // An admin may adjust too; a correction is negative. A top-up receipt of the same text is another thing.
        Assert.Equal(200, (await ingest.Post(Path(Card), RunningIngest.AdminToken, """{"id": "ADJ-2026-0002", "amount": -20, "reason": "fare_error"}""")).Status);
        (status, body) = await ingest.Post($"/api/v1/cards/{Card}/charge", RunningIngest.TransportToken, """{"amount": 1000, "receipt": "ADJ-2026-0001"}""");
        Assert.Equal(200, status);
        Assert.Equal(1200, TestKit.ParseJson(body).GetProperty("value").GetInt64());

        (status, body) = await ingest.Get($"/api/v1/cards/{Card}/wallet", RunningIngest.TransportToken);
        Assert.Equal(200, status);
        JsonElement wallet = TestKit.ParseJson(body);
        Assert.Equal(1200, wallet.GetProperty("value").GetInt64());
        JsonElement[] adjustments = [.. wallet.GetProperty("entries").EnumerateArray().Where(e => e.GetProperty("kind").GetString() == "operator-adjustment")];
        Assert.Equal([220L, -20L], adjustments.Select(e => e.GetProperty("value").GetInt64()).Order().Reverse());
        Assert.Contains(adjustments, e => e.GetProperty("description").GetString() == "調整：機器の不具合 / Adjustment: Device fault");
    }

    [Theory]
    [InlineData("""{"id": "A-1", "amount": 100, "reason": "because"}""", "reason")]
    [InlineData("""{"id": "A-1", "amount": 0, "reason": "fare_error"}""", "amount")]
    [InlineData("""{"id": "A-1", "amount": 2000000, "reason": "fare_error"}""", "amount")]
    [InlineData("""{"id": "", "amount": 100, "reason": "fare_error"}""", "id")]
    [InlineData("""{"id": "A-1", "amount": 100, "reason": "other"}""", "note")]
    [InlineData("""{"id": "A-1", "amount": "lots", "reason": "fare_error"}""", "body")]
    [InlineData("""[1, 2]""", "body")]
    public async Task A_bad_request_is_refused_as_problem_details_naming_the_field_and_changes_nothing(string json, string field)
    {
        await using RunningIngest ingest = await RunningIngest.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, Path(Card)) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new("Bearer", RunningIngest.TransportToken);
        using HttpResponseMessage response = await ingest.Http.SendAsync(request);

        Assert.Equal(400, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith(field + ":", TestKit.ParseJson(await response.Content.ReadAsStringAsync()).GetProperty("detail").GetString());
        Assert.Equal(0, TestKit.ParseJson((await ingest.Get($"/api/v1/cards/{Card}/wallet", RunningIngest.TransportToken)).Body).GetProperty("value").GetInt64());
    }

    [Fact]
    public async Task Only_transport_and_admin_may_adjust()
    {
        await using RunningIngest ingest = await RunningIngest.StartAsync();
        const string Body = """{"id": "A-9", "amount": 100, "reason": "refund"}""";
        Assert.Equal(401, (await ingest.Post(Path(Card), null, Body)).Status);
        Assert.Equal(403, (await ingest.Post(Path(Card), RunningIngest.WelfareToken, Body)).Status);
        Assert.Equal(403, (await ingest.Post(Path(Card), RunningIngest.Clinic1Token, Body)).Status);
        Assert.Equal(404, (await ingest.Post(Path("AAAAAAAAAAAAAAAAAAAAAA"), RunningIngest.TransportToken, Body)).Status);
    }
}
