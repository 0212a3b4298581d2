using System.Diagnostics;
using Maebashi.Edge.Contract.Messages;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>The retained deny list follows debt within a second: on when value falls below −debtLimit, off after a top-up.</summary>
[Trait("Category", "Ingest")]
public sealed class DenyListTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task Debt_crossing_the_limit_and_a_top_up_clearing_it_reach_the_retained_deny_topic_within_one_second()
    {
        await using RunningIngest ingest = await RunningIngest.StartAsync();
        string debtor = TestKit.Tok("CAFEBABE"); // P0005: value 0, autoPointPay off
        string lost = TestKit.Tok("11223344");   // P0005's lost card: always on the list
        await using DeviceClient bus = await DeviceClient.ConnectAsync("BUS0042", ingest.Host.MqttPort);

        DenyList initial = await bus.WaitDenyAsync(_ => true, TimeSpan.FromSeconds(10));
        Assert.Contains(lost, initial.Tokens);
        Assert.DoesNotContain(debtor, initial.Tokens);

        DateTimeOffset now = DateTimeOffset.UtcNow;
        // Two trips S01 → S07 on R01: 340 each, value 0 → −680 < −500.
        Ack first = await bus.SendAsync(TestKit.Batch("BUS0042",
            TestKit.Board(1, "CAFEBABE", now.AddMinutes(-100), "S01"), TestKit.Alight(2, "CAFEBABE", now.AddMinutes(-80), "S07")));
        Assert.Equal(-340, first.Results[^1].Value);

        var sw = Stopwatch.StartNew();
        Assert.Equal(MQTTnet.MqttClientPublishReasonCode.Success, await bus.PublishAsync(TestKit.Batch("BUS0042",
            TestKit.Board(3, "CAFEBABE", now.AddMinutes(-60), "S01"), TestKit.Alight(4, "CAFEBABE", now.AddMinutes(-40), "S07"))));
        DenyList on = await bus.WaitDenyAsync(d => d.Tokens.Contains(debtor), Second - sw.Elapsed);
        Assert.True(on.Version > initial.Version);
        Assert.Contains(lost, on.Tokens);

        sw.Restart();
        (int status, string body) = await ingest.Post($"/api/v1/cards/{debtor}/charge", RunningIngest.TransportToken, """{"amount": 1000, "receipt": "R-2026-0001"}""");
        Assert.Equal(200, status);
        DenyList off = await bus.WaitDenyAsync(d => !d.Tokens.Contains(debtor), Second - sw.Elapsed);
        Assert.True(off.Version > on.Version);
        Assert.Contains(lost, off.Tokens);
        Assert.Equal(320, TestKit.ParseJson(body).GetProperty("value").GetInt64());

        // The same receipt again changes nothing.
        (int again, string againBody) = await ingest.Post($"/api/v1/cards/{debtor}/charge", RunningIngest.TransportToken, """{"amount": 1000, "receipt": "R-2026-0001"}""");
        Assert.Equal(200, again);
        Assert.Equal("duplicate", TestKit.ParseJson(againBody).GetProperty("status").GetString());
        Assert.Equal(320, TestKit.ParseJson(againBody).GetProperty("value").GetInt64());
    }
}
