using System.Diagnostics;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Terminal.Emulation.Feedback;
using Maebashi.Edge.Terminal.Hosting;
using Maebashi.Edge.Terminal.Taps;
using Microsoft.Extensions.Time.Testing;
using MQTTnet;

namespace Maebashi.Edge.Terminal.Tests;

/// <summary>Store-and-forward through a real MQTT broker (MQTTnet, in process) and a stand-in ingest.</summary>
[Trait("Category", "Terminal")]
public class UplinkTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private static TerminalParts Parts(TimeProvider? time = null) => new()
    {
        Time = time ?? TimeProvider.System,
        Gpio = new System.Device.Gpio.GpioController(new EmulatedGpioDriver()),
    };

    private static CardRead Card(int i) => new(CardTech.Iso14443A, Convert.FromHexString($"04{i:X12}"), "rear");

    /// <summary>Completes when the condition holds, checked whenever the uplink applies an ack or the ledger prunes.</summary>
    private static Task WhenAsync(TerminalRuntime t, Func<bool> condition)
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Check()
        {
            if (condition())
            {
                tcs.TrySetResult();
            }
        }

        t.Uplink.AckApplied += Check;
        t.Ledger.Pruned += _ => Check();
        Check();
        return tcs.Task.WaitAsync(Patience);
    }

    [Fact]
    [Trait("Category", "Fault")]
    public async Task A_week_of_taps_taken_offline_is_delivered_and_acknowledged_once_when_the_broker_returns_and_taps_stay_fast_during_the_drain()
    {
        using var site = new TestSite();
        int port = LoopbackPorts.Free();
        site.Options.Broker.Port = port;
        site.Options.Uplink.BatchSize = 200;
        site.Options.Uplink.AckTimeout = TimeSpan.FromSeconds(20);
        site.Options.Ledger.Retention = TimeSpan.Zero;
        site.Options.Uplink.PruneInterval = TimeSpan.FromSeconds(1);
        await using TerminalRuntime t = TerminalRuntime.Create(site.Options, Parts());
        await t.StartAsync();
        t.Vehicle.Set("R01", "S01");

        // The broker is unreachable: 10,500 taps (a week of a busy bus) are all accepted.
        const int Offline = 10_500;
        for (int i = 0; i < Offline; i++)
        {
            Assert.Equal(Verdict.Accept, t.Pipeline.Tap(Card(i)).Verdict);
        }

        Assert.Equal(Offline, t.Ledger.Backlog);
        Assert.False(t.Uplink.IsConnected);

        // The broker returns with the ingest behind it; its first evt is held in the broker, so
        // the uplink is stuck in the middle of the drain…
        await using TestBroker broker = await TestBroker.StartAsync(port, new() { ["BUS0042"] = TestSite.DeviceKey });
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        broker.HoldEvents = hold;
        await using TestIngest ingest = await TestIngest.StartAsync(port, TestSite.DeviceKey);
        await broker.EventHeld.Task.WaitAsync(Patience);

        // …and new taps go through all the same: they never wait for the drain.
        const int During = 100;
        for (int i = 0; i < During; i++)
        {
            TapOutcome o = t.Pipeline.Tap(Card(Offline + i));
            Assert.Equal(Verdict.Accept, o.Verdict);
            Assert.Equal(o.Display, t.Display.Line);
        }

        Assert.Empty(ingest.Applied);
        broker.HoldEvents = null;
        hold.SetResult();

        await WhenAsync(t, () => t.Ledger.Backlog == 0 && t.Ledger.Entries == 0);

        HashSet<ulong> all = [.. t.Ledger.Records(false).Select(r => r.Event.Seq)];
        Assert.Empty(all); // pruned: acknowledged and past the retention (zero here)
        Assert.Equal(Offline + During, ingest.Applied.Count);
        Assert.Equal(Offline + During, t.Uplink.AcksApplied); // each entry acknowledged once
        Assert.Equal(0, ingest.BadMacs);
        Assert.True(ingest.MaxBatchEvents <= 200);
        // Oldest first: the first batch carries the oldest entries, in order.
        Assert.Equal(ingest.Batches[0].Order(), ingest.Batches[0]);
        Assert.Equal(ingest.Applied.Min(), ingest.Batches[0][0]);

        // The device's credentials and session as the broker saw them.
        var conn = broker.Connections.First(c => c.ClientId == "BUS0042");
        Assert.Equal("BUS0042", conn.User);
        Assert.False(conn.CleanStart);
        Assert.True(conn.SessionExpiry > 0);
        Assert.Contains("500", conn.Protocol, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Fault")]
    public async Task An_ack_that_never_comes_gets_the_batch_resent_and_a_duplicate_ack_is_harmless()
    {
        using var site = new TestSite();
        site.Options.Uplink.AckTimeout = TimeSpan.FromSeconds(30);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using TestBroker broker = await TestBroker.StartAsync(0, new() { ["BUS0042"] = TestSite.DeviceKey });
        int port = broker.Port;
        site.Options.Broker.Port = port;
        await using TestIngest ingest = await TestIngest.StartAsync(port, TestSite.DeviceKey);
        ingest.AutoAck = false;
        var firstBatch = new TaskCompletionSource<List<ulong>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var resent = new TaskCompletionSource<List<ulong>>(TaskCreationOptions.RunContinuationsAsynchronously);
        ingest.BatchReceived += seqs =>
        {
            if (!firstBatch.TrySetResult(seqs))
            {
                resent.TrySetResult(seqs);
            }
        };

        await using TerminalRuntime t = TerminalRuntime.Create(site.Options, Parts(time));
        t.Vehicle.Set("R01", "S01");
        ulong[] seqs = [.. Enumerable.Range(0, 3).Select(i => t.Pipeline.Tap(Card(i)).Seq!.Value)];
        await t.StartAsync();

        List<ulong> sent = await firstBatch.Task.WaitAsync(Patience);
        Assert.Equal(seqs, sent);

        // No ack: when the timeout passes, the same batch goes again.
        time.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(seqs, await resent.Task.WaitAsync(Patience));
        // The broker may hand the batch on before the uplink counts its resend: wait for the count.
        var counted = Stopwatch.StartNew();
        while (t.Uplink.BatchesResent < 1 && counted.Elapsed < Patience)
        {
            await Task.Delay(5);
        }

        Assert.True(t.Uplink.BatchesResent >= 1);
        Assert.Equal(3, t.Ledger.Backlog);

        // The ack comes; then the same ack again (the broker redelivers): harmless.
        Task acked = WhenAsync(t, () => t.Ledger.Backlog == 0);
        await ingest.AckAsync("BUS0042", sent);
        await acked;
        var second = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        t.Uplink.AckApplied += () => second.TrySetResult();
        await ingest.AckAsync("BUS0042", sent);
        await second.Task.WaitAsync(Patience);
        Assert.Equal(3, t.Uplink.AcksApplied);
        Assert.Equal(0, t.Ledger.Backlog);
        Assert.Equal(3, t.Ledger.Entries); // kept for the retention period

        ulong next = t.Pipeline.Tap(Card(99)).Seq!.Value;
        Assert.True(next > seqs.Max());
        Assert.Equal(1, t.Ledger.Backlog);
    }

    /// <summary>
    /// docs/faults.md, Mosquitto kill -9: after a broker restart a device may be back before the ingest has
    /// subscribed again, and the broker answers its batches with PUBACK 16 (no matching subscribers) and drops
    /// them. The device sends them again soon — not after the ack timeout — and, with its wall clock standing
    /// still (a Pi without a real-time clock, or the fault suite's simulated clock), its timeouts still run.
    /// </summary>
    [Fact]
    [Trait("Category", "Fault")]
    public async Task Batches_no_subscriber_received_are_sent_again_soon_even_when_the_wall_clock_stands_still()
    {
        using var site = new TestSite();
        site.Options.Uplink.BatchSize = 5;
        site.Options.Uplink.AckTimeout = TimeSpan.FromMinutes(2);
        site.Options.Uplink.AckTimeoutMax = TimeSpan.FromMinutes(4);
        site.Options.Uplink.UndeliveredRetry = TimeSpan.FromMilliseconds(200);
        await using TestBroker broker = await TestBroker.StartAsync(0, new() { ["BUS0042"] = TestSite.DeviceKey });
        site.Options.Broker.Port = broker.Port;

        await using TerminalRuntime t = TerminalRuntime.Create(site.Options, Parts(new StandingWallClock(DateTimeOffset.UtcNow)));
        t.Vehicle.Set("R01", "S01");
        ulong[] seqs = [.. Enumerable.Range(0, 12).Select(i => t.Pipeline.Tap(Card(i)).Seq!.Value)];

        // No ingest subscribed yet: the broker drops the batches and says so.
        await t.StartAsync();
        await broker.EventNotConsumed.Task.WaitAsync(Patience);
        Assert.Equal(seqs.Length, t.Ledger.Backlog);

        // The ingest subscribes: the dropped batches arrive well before an ack timeout could have passed.
        await using TestIngest ingest = await TestIngest.StartAsync(broker.Port, TestSite.DeviceKey);
        await WhenAsync(t, () => t.Ledger.Backlog == 0).WaitAsync(site.Options.Uplink.AckTimeout / 2);

        Assert.Equal(seqs.Order(), ingest.Applied.Order());
        Assert.All(seqs, s => Assert.Equal(1, ingest.Received[s])); // a dropped batch is sent again, a delivered one is not
        Assert.Equal(seqs.Length, t.Uplink.AcksApplied);
    }

    /// <summary>A wall clock that stands still while timers and the monotonic clock run in real time.</summary>
    private sealed class StandingWallClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    [Fact]
    public async Task Malformed_cfg_deny_and_ack_are_ignored_and_the_last_good_stay_in_force_also_after_an_offline_restart()
    {
        using var site = new TestSite();
        string denied = TestSite.Token(CardTech.Iso14443A, "04000000000007");
        await using TestBroker broker = await TestBroker.StartAsync(0, new() { ["BUS0042"] = TestSite.DeviceKey });
        int port = broker.Port;
        site.Options.Broker.Port = port;
        await using TestIngest cloud = await TestIngest.StartAsync(port, TestSite.DeviceKey);
        await cloud.PublishAsync(Topics.Config("BUS0042"), SampleConfig.BusBytes(2), retain: true);
        await cloud.PublishAsync(Topics.Deny, SampleConfig.Deny(5, denied), retain: true);

        await using (TerminalRuntime t = TerminalRuntime.Create(site.Options, Parts()))
        {
            var good = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            t.Cloud.Changed += () =>
            {
                if (t.Cloud.Config?.Version == 2 && t.Cloud.DenyVersion == 5)
                {
                    good.TrySetResult();
                }
            };
            await t.StartAsync();
            await good.Task.WaitAsync(Patience);

            var ignored = new List<string>();
            var fourIgnored = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            t.Uplink.MessageIgnored += (what, why) =>
            {
                lock (ignored)
                {
                    ignored.Add(what);
                    if (ignored.Count == 5)
                    {
                        fourIgnored.TrySetResult();
                    }
                }
            };
            await cloud.PublishAsync(Topics.Config("BUS0042"), "{\"version\": 3, \"role\": "u8.ToArray(), retain: true);
            await cloud.PublishAsync(Topics.Config("BUS0042"), "{\"version\": 4, \"device\": \"BUS0042\", \"role\": \"clinic\"}"u8.ToArray(), retain: true);
            await cloud.PublishAsync(Topics.Deny, "{\"version\": 6}"u8.ToArray(), retain: true);
            await cloud.PublishAsync(Topics.Deny, "{\"version\": 7, \"tokens\": [\"not a token\"]}"u8.ToArray(), retain: true);
            await cloud.PublishAsync(Topics.Ack("BUS0042"), "[1,2,3]"u8.ToArray());
            await fourIgnored.Task.WaitAsync(Patience);

            Assert.Equal(["cfg", "cfg", "deny", "deny", "ack"], ignored);
            Assert.Equal(2, t.Cloud.Config!.Version);
            Assert.Equal(5, t.Cloud.DenyVersion);
            t.Vehicle.Set("R01", "S01");
            Assert.Equal(Verdict.Deny, t.Pipeline.Tap(Card(7)).Verdict);
            Assert.Equal("運賃 340円 / Fare ¥340", t.Pipeline.Tap(new CardRead(CardTech.Iso14443A, Convert.FromHexString("04000000000008"), "front")).Display);
        }

        // Rebooted with no broker at all: the last good cfg and deny list are still in force.
        site.Options.Broker.Port = 1;
        await using (TerminalRuntime offline = TerminalRuntime.Create(site.Options, Parts()))
        {
            Assert.Equal(2, offline.Cloud.Config!.Version);
            Assert.Equal(5, offline.Cloud.DenyVersion);
            offline.Vehicle.Set("R01", "S01");
            offline.Pipeline.Tap(Card(1)); // another card first, so the repeat window plays no part
            Assert.Equal(Verdict.Deny, offline.Pipeline.Tap(new CardRead(CardTech.Iso14443A, Convert.FromHexString("04000000000007"), "rear")).Verdict);
            DeviceStatus status = offline.Status("online");
            Assert.Equal(2, status.CfgVersion);
            Assert.Equal(5, status.DenyVersion);
        }
    }

    [Fact]
    public async Task Status_is_retained_with_the_backlog_and_says_offline_when_the_terminal_stops()
    {
        using var site = new TestSite();
        await using TestBroker broker = await TestBroker.StartAsync(0, new() { ["BUS0042"] = TestSite.DeviceKey });
        int port = broker.Port;
        site.Options.Broker.Port = port;
        await using TestIngest ingest = await TestIngest.StartAsync(port, TestSite.DeviceKey);
        ingest.AutoAck = false;
        TerminalRuntime t = TerminalRuntime.Create(site.Options, Parts());
        t.Vehicle.Set("R01", "S01");
        t.Pipeline.Tap(Card(1));
        t.Pipeline.Tap(Card(2));
        await t.StartAsync();
        DeviceStatus online = await StatusWatcher.NextAsync(port, s => s.State == "online" && s.Backlog == 2, Patience);
        Assert.Equal("BUS0042", online.Device);
        Assert.Equal(t.Ledger.LastSeq, online.LastSeq);
        // The console's fleet shows how long the oldest unacknowledged tap has waited.
        Assert.NotNull(online.OldestUnackedAt);
        Assert.Equal(t.Ledger.Summary().OldestUnackedAt, online.OldestUnackedAt);
        Assert.Equal(["rear", "front"], online.Readers!.Select(r => r.Name));
        Assert.False(online.DiskFull);

        await t.DisposeAsync();
        DeviceStatus offline = await StatusWatcher.NextAsync(port, s => s.State == "offline", Patience);
        Assert.Equal("BUS0042", offline.Device);

        // The last will is the same offline status, retained, for a terminal that vanishes.
        var options = TerminalRuntime.Create(site.Options, Parts());
        await using (options)
        {
            var built = options.Uplink.BuildClientOptions();
            Assert.Equal(Topics.Status("BUS0042"), built.WillTopic);
            Assert.True(built.WillRetain);
            Assert.Equal("offline", ContractJson.ParseStatus(built.WillPayload).State);
            Assert.Equal(DeviceAuth.ComputeMqttPassword(TestSite.DeviceKey), ((MQTTnet.MqttClientCredentials)built.Credentials).GetPassword(null!) is { } p ? System.Text.Encoding.UTF8.GetString(p) : null);
        }
    }
}

/// <summary>Reads the retained status of BUS0042 as a cloud client would.</summary>
internal static class StatusWatcher
{
    public static async Task<DeviceStatus> NextAsync(int port, Func<DeviceStatus, bool> match, TimeSpan patience)
    {
        using var client = new MQTTnet.MqttClientFactory().CreateMqttClient();
        var tcs = new TaskCompletionSource<DeviceStatus>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.ApplicationMessageReceivedAsync += e =>
        {
            DeviceStatus s = ContractJson.ParseStatus(System.Buffers.BuffersExtensions.ToArray(e.ApplicationMessage.Payload));
            if (match(s))
            {
                tcs.TrySetResult(s);
            }

            return Task.CompletedTask;
        };
        await client.ConnectAsync(new MQTTnet.MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithClientId("ingest-status-" + Guid.NewGuid().ToString("N")).Build());
        await client.SubscribeAsync(Topics.Status("BUS0042"));
        try
        {
            return await tcs.Task.WaitAsync(patience);
        }
        finally
        {
            await client.DisconnectAsync();
        }
    }
}
