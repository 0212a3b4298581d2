using Maebashi.Edge.Contract.Messages;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>A real Mosquitto started by the test (generated config, password file, ACL) and the ingest as its client.</summary>
[Trait("Category", "Ingest")]
public sealed class ExternalBrokerTests
{
    private const string IngestUser = "ingest";
    private const string IngestPassword = "ingest-broker-password-42";

    private sealed class Mosquitto : IAsyncDisposable
    {
        private readonly ChildProcess _process;

        private Mosquitto(ChildProcess process, int port)
        {
            _process = process;
            Port = port;
        }

        public int Port { get; }

        public static async Task<Mosquitto> StartAsync(string dir)
        {
            int port = LoopbackPorts.Free();
            string passwd = Path.Combine(dir, "passwd");
            string acl = Path.Combine(dir, "acl");
            await Run("mosquitto_passwd", ["-c", "-b", passwd, IngestUser, IngestPassword]);
            foreach (string device in TestKit.Registry.Devices.Select(d => d.Id))
            {
                await Run("mosquitto_passwd", ["-b", passwd, device, TestKit.Password(device)]);
            }

            await File.WriteAllTextAsync(acl, $"""
                user {IngestUser}
                topic readwrite maebashi/v1/#

                pattern write maebashi/v1/dev/%u/evt
                pattern write maebashi/v1/dev/%u/status
                pattern read maebashi/v1/dev/%u/ack
                pattern read maebashi/v1/dev/%u/cfg
                pattern read maebashi/v1/deny
                """);
            string conf = Path.Combine(dir, "mosquitto.conf");
            await File.WriteAllTextAsync(conf, $"""
                user root
                listener {port} 127.0.0.1
                allow_anonymous false
                password_file {passwd}
                acl_file {acl}
                persistence false
                max_queued_messages 0
                log_dest stderr
                """);
            ChildProcess p = ChildProcess.Start("mosquitto", MosquittoProcess.DefaultBinary, ["-c", conf]);
            try
            {
                await p.WaitForLineAsync(l => l.Contains("running", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
            }
            catch
            {
                p.Dispose();
                throw;
            }

            return new Mosquitto(p, port);
        }

        private static async Task Run(string file, string[] args)
        {
            (int exit, _, string err) = await ProcessRunner.RunAsync(file, args, TimeSpan.FromSeconds(10));
            Assert.True(exit == 0, $"{file}: {err}");
        }

        public ValueTask DisposeAsync()
        {
            _process.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    [Fact]
    public async Task The_ingest_as_a_client_of_Mosquitto_applies_and_acknowledges_batches_through_its_shared_subscription()
    {
        string dir = TestKit.TempDir();
        await using Mosquitto broker = await Mosquitto.StartAsync(dir);
        await using RunningIngest ingest = await RunningIngest.StartAsync(
            broker: new Uri($"mqtt://127.0.0.1:{broker.Port}"), brokerUser: IngestUser, brokerPassword: IngestPassword);
        Assert.Equal(broker.Port, ingest.Host.MqttPort);

        await using DeviceClient bus = await DeviceClient.ConnectAsync("BUS0042", broker.Port);
        DenyList deny = await bus.WaitDenyAsync(_ => true, TimeSpan.FromSeconds(10));
        Assert.Contains(TestKit.Tok("11223344"), deny.Tokens);

        DateTimeOffset now = DateTimeOffset.UtcNow;
        byte[] batch = TestKit.Batch("BUS0042",
            TestKit.Board(1, "04A1B2C3D4E5F6", now.AddMinutes(-30), "S01"),
            TestKit.Alight(2, "04A1B2C3D4E5F6", now.AddMinutes(-20), "S03"));
        Ack ack = await bus.SendAsync(batch);
        Assert.Equal(2UL, ack.UpTo);
        Assert.All(ack.Results, r => Assert.Equal(ResultStatus.Applied, r.Status));

        // Redelivered through the broker: duplicate, nothing applied twice.
        Ack again = await bus.SendAsync(batch);
        Assert.All(again.Results, r => Assert.Equal(ResultStatus.Duplicate, r.Status));
        (int s, string body) = await ingest.Get($"/api/v1/cards/{TestKit.Tok("04A1B2C3D4E5F6")}/wallet", RunningIngest.TransportToken);
        Assert.Equal(200, s);
        Assert.Equal(1000 - 220, TestKit.ParseJson(body).GetProperty("value").GetInt64());

        // A bad mac through the real broker lands in quarantine.
        Assert.Equal(MQTTnet.MqttClientPublishReasonCode.Success, await bus.PublishAsync(TestKit.Batch("BUS0042", TestKit.Board(3, "04A1B2C3D4E5F6", now, "S01")), mac: TestKit.Mac("BUS0042", batch)));
        await bus.SendAsync(TestKit.Batch("BUS0042")); // the broker delivers in order: once this is acked, the bad one was handled
        (_, string q) = await ingest.Get("/api/v1/quarantine", RunningIngest.AdminToken);
        Assert.Contains("mac: does not match", q, StringComparison.Ordinal);
    }
}
