using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>
/// <c>GET /api/v1/cards/{tok}/wallet</c> reads the person's entries and trips a page at a time (issue 13): newest first,
/// a cursor to the older ones, the count of all entries; bad paging arguments are refused naming which.
/// </summary>
[Trait("Category", "History")]
public sealed class WalletHistoryApiTests
{
    private static readonly string Card = TestKit.Tok("04A1B2C3D4E5F6"); // P0001: opening value ¥1,000

    [Fact]
    public async Task The_wallets_entries_come_a_page_at_a_time_newest_first_and_all_pages_add_up_to_the_value()
    {
        await using RunningIngest ingest = await RunningIngest.StartAsync();
        for (int i = 1; i <= 5; i++)
        {
            Assert.Equal(200, (await ingest.Post($"/api/v1/cards/{Card}/charge", RunningIngest.TransportToken, $$"""{"amount": {{100 + i}}, "receipt": "R-HIST-{{i}}"}""")).Status);
        }

        (int status, string body) = await ingest.Get($"/api/v1/cards/{Card}/wallet?limit=2", RunningIngest.TransportToken);
        Assert.Equal(200, status);
        JsonElement first = TestKit.ParseJson(body);
        long value = first.GetProperty("value").GetInt64();
        Assert.Equal(1000 + 101 + 102 + 103 + 104 + 105, value);
        Assert.Equal(6, first.GetProperty("entriesTotal").GetInt64());
        Assert.Equal([105L, 104L], first.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("value").GetInt64()));

        var values = new List<long>();
        JsonElement page = first;
        while (true)
        {
            values.AddRange(page.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("value").GetInt64()));
            // The last page has no cursor to an older one.
            if (!page.TryGetProperty("entriesNext", out JsonElement next))
            {
                break;
            }

            (status, body) = await ingest.Get($"/api/v1/cards/{Card}/wallet?limit=2&before={next.GetInt64()}", RunningIngest.TransportToken);
            Assert.Equal(200, status);
            page = TestKit.ParseJson(body);
        }

        Assert.Equal([105L, 104L, 103L, 102L, 101L, 1000L], values);

        // Without arguments: the newest 100, here all of them.
        (_, body) = await ingest.Get($"/api/v1/cards/{Card}/wallet", RunningIngest.TransportToken);
        Assert.Equal(value, TestKit.ParseJson(body).GetProperty("entries").EnumerateArray().Sum(e => e.GetProperty("value").GetInt64()));

        (status, body) = await ingest.Get($"/api/v1/cards/{Card}/wallet?limit=0", RunningIngest.TransportToken);
        Assert.Equal(400, status);
        Assert.Contains("limit", body, StringComparison.Ordinal);
        (status, body) = await ingest.Get($"/api/v1/cards/{Card}/wallet?before=yesterday", RunningIngest.TransportToken);
        Assert.Equal(400, status);
        Assert.Contains("before", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_wallets_trips_come_a_page_of_whole_service_days_at_a_time_newest_first()
    {
        // Three rides a day on 40 days: 120 trips, more than one answer's 100.
        static DateTimeOffset J(int day, int hour) => new DateTimeOffset(2026, 10, 1, hour, 0, 0, TestKit.Jst).AddDays(day - 1);
        await using RunningIngest ingest = await RunningIngest.StartAsync(new FakeTimeProvider(J(41, 12)));
        await using (DeviceClient bus = await DeviceClient.ConnectAsync("BUS0042", ingest.Host.MqttPort))
        {
            ulong seq = 0;
            foreach (int[] days in Enumerable.Range(1, 40).Chunk(20))
            {
                JsonObject[] events = [.. days.SelectMany(d => new[] { 7, 12, 18 }.SelectMany(h => new[]
                {
                    TestKit.Board(++seq, "04A1B2C3D4E5F6", J(d, h), "S01"),
                    TestKit.Alight(++seq, "04A1B2C3D4E5F6", J(d, h).AddMinutes(20), "S05"),
                }))];
                await bus.SendAsync(TestKit.Batch("BUS0042", events));
            }
        }

        (int status, string body) = await ingest.Get($"/api/v1/cards/{Card}/wallet", RunningIngest.TransportToken);
        Assert.Equal(200, status);
        JsonElement first = TestKit.ParseJson(body);
        DateTimeOffset[] boards = [.. first.GetProperty("trips").EnumerateArray().Select(t => t.GetProperty("boardAt").GetDateTimeOffset())];
        // The newest 34 days whole (102 trips, at least 100), newest first.
        Assert.Equal(102, boards.Length);
        Assert.Equal(J(40, 18), boards[0]);
        Assert.Equal(J(7, 7), boards[^1]);
        Assert.Equal("2026-10-07", first.GetProperty("tripsNext").GetString());

        (status, body) = await ingest.Get($"/api/v1/cards/{Card}/wallet?tripsBefore=2026-10-07", RunningIngest.TransportToken);
        Assert.Equal(200, status);
        JsonElement second = TestKit.ParseJson(body);
        Assert.Equal(
            [.. Enumerable.Range(1, 6).Reverse().SelectMany(d => new[] { 18, 12, 7 }.Select(h => J(d, h)))],
            second.GetProperty("trips").EnumerateArray().Select(t => t.GetProperty("boardAt").GetDateTimeOffset()));
        Assert.False(second.TryGetProperty("tripsNext", out _));

        (status, body) = await ingest.Get($"/api/v1/cards/{Card}/wallet?tripsBefore=7", RunningIngest.TransportToken);
        Assert.Equal(400, status);
        Assert.Contains("tripsBefore", body, StringComparison.Ordinal);
    }
}
