using Maebashi.Edge.Contract.Messages;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>
/// The ingest as a client of a real Mosquitto that is killed -9 and restarted on its persistence
/// directory: once the broker is back the ingest must subscribe again and keep acknowledging batches.
/// </summary>
[Trait("Category", "Ingest")]
[Trait("Category", "Fault")]
public sealed class MosquittoRestartTests
{
    private static readonly TimeSpan BrokerTimeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task After_Mosquitto_is_killed_9_and_restarted_the_ingest_acknowledges_new_batches()
    {
        string dir = TestKit.TempDir();
        using MosquittoProcess broker = MosquittoProcess.Start(TestKit.Registry, dir, BrokerTimeout);
        string ingestPassword = (await File.ReadAllTextAsync(broker.Files.IngestPasswordFile)).Trim();
        await using RunningIngest ingest = await RunningIngest.StartAsync(
            broker: new Uri($"mqtt://127.0.0.1:{broker.Port}"), brokerUser: "ingest", brokerPassword: ingestPassword);

        DateTimeOffset now = DateTimeOffset.UtcNow;
        const string uid = "04A1B2C3D4E5F6";
        await using (DeviceClient before = await DeviceClient.ConnectAsync("BUS0042", broker.Port))
        {
            Ack first = await before.SendAsync(TestKit.Batch("BUS0042", TestKit.Board(1, uid, now.AddMinutes(-40), "S01"), TestKit.Alight(2, uid, now.AddMinutes(-35), "S03")));
            Assert.Equal(2UL, first.UpTo);
        }

        broker.Kill();
        broker.Restart(BrokerTimeout);

        // The device reconnects (possibly before the ingest has): it keeps sending until the ack comes.
        await using DeviceClient after = await DeviceClient.ConnectAsync("BUS0042", broker.Port);
        byte[] second = TestKit.Batch("BUS0042", TestKit.Board(3, uid, now.AddMinutes(-20), "S01"), TestKit.Alight(4, uid, now.AddMinutes(-10), "S03"));
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Ack? ack = null;
        while (ack is null)
        {
            deadline.Token.ThrowIfCancellationRequested();
            try
            {
                // NoMatchingSubscribers until the ingest has subscribed again; the bus keeps the batch either way.
                await after.PublishAsync(second);
                Ack got = await after.NextAckAsync(TimeSpan.FromSeconds(3));

                // Mosquitto may deliver the first batch's ack again after its restart (persisted in flight when it
                // was killed); a bus ignores an ack below what it waits for, and so does this device.
                if (got.UpTo >= 4)
                {
                    ack = got;
                }
            }
            catch (OperationCanceledException) when (!deadline.IsCancellationRequested)
            {
                // Not acknowledged yet (the ingest may not have re-subscribed): send again, as a bus does.
            }
        }

        Assert.Equal(4UL, ack.UpTo);
        Assert.All(ack.Results, r => Assert.Contains(r.Status, new[] { ResultStatus.Applied, ResultStatus.Duplicate }));
    }
}
