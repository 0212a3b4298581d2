using System.Text;
using System.Threading.Channels;
using Maebashi.Edge.Broker;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using MQTTnet;
using MQTTnet.Adapter;
using MQTTnet.Protocol;

namespace Maebashi.Edge.System.Tests;

/// <summary>The generated Mosquitto configuration, run by a real Mosquitto.</summary>
[Trait("Category", "System")]
public sealed class MosquittoConfigTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly string _dir = Directory.CreateTempSubdirectory("maebashi-mq-").FullName;
    private readonly CityRegistry _registry = RegistryLoader.Load(SharedFixtures.RegistryPath);
    private readonly MosquittoProcess _broker;

    public MosquittoConfigTests() => _broker = MosquittoProcess.Start(_registry, _dir, Timeout);

    public void Dispose()
    {
        _broker.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void Config_turns_persistence_on_and_never_drops_queued_messages()
    {
        string conf = File.ReadAllText(_broker.Files.Config);
        Assert.Contains("persistence true", conf, StringComparison.Ordinal);
        Assert.Contains("max_queued_messages 0", conf, StringComparison.Ordinal);
        Assert.Contains($"listener {_broker.Port} 127.0.0.1", conf, StringComparison.Ordinal);
        Assert.Contains("allow_anonymous false", conf, StringComparison.Ordinal);
        foreach (string f in new[] { _broker.Files.PasswordFile, _broker.Files.IngestPasswordFile, _broker.Files.AclFile })
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, OperatingSystem.IsWindows() ? default : File.GetUnixFileMode(f));
        }

        // No device key in any file: only PBKDF2 hashes of the derived passwords.
        string all = string.Concat(Directory.GetFiles(_dir).Select(File.ReadAllText));
        Assert.All(_registry.Devices, d => Assert.DoesNotContain(d.Def.Key, all, StringComparison.OrdinalIgnoreCase));
        Assert.All(_registry.Devices, d => Assert.DoesNotContain(DeviceAuth.ComputeMqttPassword(d.Key), all, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_device_logs_in_with_its_derived_password_and_a_wrong_one_is_refused()
    {
        DeviceEntry bus = _registry.FindDevice("BUS0042")!;
        using IMqttClient ok = await Connect(bus.Id, DeviceAuth.ComputeMqttPassword(bus.Key));
        Assert.True(ok.IsConnected);

        var e = await Assert.ThrowsAsync<RefusedException>(() => Connect(bus.Id, "not-the-password"));
        // Mosquitto answers a wrong password with 0x87 Not authorized on MQTT 5 (FACTS.md).
        Assert.Equal(MqttClientConnectResultCode.NotAuthorized, e.Code);

        // Another device's password does not open this device's account.
        DeviceEntry other = _registry.FindDevice("BUS0043")!;
        await Assert.ThrowsAsync<RefusedException>(() => Connect(bus.Id, DeviceAuth.ComputeMqttPassword(other.Key)));
    }

    [Fact]
    public async Task A_device_writes_only_its_own_topics_and_reads_only_its_own_ack_cfg_and_the_deny_list()
    {
        DeviceEntry bus = _registry.FindDevice("BUS0042")!;
        string ingestPassword = File.ReadAllText(_broker.Files.IngestPasswordFile).Trim();
        var received = Channel.CreateUnbounded<string>();
        using IMqttClient ingest = await Connect("ingest", ingestPassword);
        ingest.ApplicationMessageReceivedAsync += e =>
        {
            received.Writer.TryWrite(e.ApplicationMessage.Topic + " " + Encoding.UTF8.GetString(e.ApplicationMessage.Payload));
            return Task.CompletedTask;
        };
        await ingest.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("maebashi/v1/#", MqttQualityOfServiceLevel.AtLeastOnce).Build());

        using IMqttClient device = await Connect(bus.Id, DeviceAuth.ComputeMqttPassword(bus.Key));
        MqttClientPublishResult forged = await device.PublishAsync(Message(Topics.Events("BUS0043"), "forged"));
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, forged.ReasonCode);

        // Mosquitto closes the connection of a client that published outside its ACL; the device reconnects.
        using IMqttClient again = await Connect(bus.Id, DeviceAuth.ComputeMqttPassword(bus.Key));
        MqttClientPublishResult own = await again.PublishAsync(Message(Topics.Events(bus.Id), "own"));
        Assert.Equal(MqttClientPublishReasonCode.Success, own.ReasonCode);

        // The forged publish never reaches the ingest: the first message it sees is the device's own.
        using var cts = new CancellationTokenSource(Timeout);
        Assert.Equal($"{Topics.Events(bus.Id)} own", await received.Reader.ReadAsync(cts.Token));

        // Mosquitto grants every subscription and filters on delivery by the read ACL: a device subscribed to
        // another device's ack and to all events receives neither, but does receive its own ack.
        var deviceInbox = Channel.CreateUnbounded<string>();
        again.ApplicationMessageReceivedAsync += e =>
        {
            deviceInbox.Writer.TryWrite(e.ApplicationMessage.Topic + " " + Encoding.UTF8.GetString(e.ApplicationMessage.Payload));
            return Task.CompletedTask;
        };
        await again.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter(Topics.Ack("BUS0043"), MqttQualityOfServiceLevel.AtLeastOnce)
            .WithTopicFilter(Topics.AllEvents, MqttQualityOfServiceLevel.AtLeastOnce)
            .WithTopicFilter(Topics.Ack(bus.Id), MqttQualityOfServiceLevel.AtLeastOnce)
            .WithTopicFilter(Topics.Deny, MqttQualityOfServiceLevel.AtLeastOnce)
            .Build());
        await ingest.PublishAsync(Message(Topics.Ack("BUS0043"), "theirs"));
        await ingest.PublishAsync(Message(Topics.Events("BUS0043"), "their events"));
        await ingest.PublishAsync(Message(Topics.Ack(bus.Id), "mine"));
        await ingest.PublishAsync(Message(Topics.Deny, "deny"));
        Assert.Equal($"{Topics.Ack(bus.Id)} mine", await deviceInbox.Reader.ReadAsync(cts.Token));
        Assert.Equal($"{Topics.Deny} deny", await deviceInbox.Reader.ReadAsync(cts.Token));
    }

    [Fact]
    public void The_verb_writes_the_files_and_refuses_a_bad_port()
    {
        string outDir = Path.Combine(_dir, "verb");
        (int exit, string output, _) = EdgeCli.Run("broker", "mosquitto-config", "--registry", SharedFixtures.RegistryPath, "--out", outDir);
        Assert.Equal(0, exit);
        Assert.Contains("4 devices + ingest user", output, StringComparison.Ordinal);
        string passwd = File.ReadAllText(Path.Combine(outDir, "passwd"));
        Assert.Equal(["BUS0042", "BUS0043", "CLN01", "EVT01", "ingest"], passwd.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l[..l.IndexOf(':', StringComparison.Ordinal)]));
        Assert.All(passwd.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => Assert.Contains(":$7$101$", l, StringComparison.Ordinal));

        (exit, _, string err) = EdgeCli.Run("broker", "mosquitto-config", "--registry", SharedFixtures.RegistryPath, "--out", outDir, "--port", "70000");
        Assert.Equal(2, exit);
        Assert.Contains("--port: expected 1–65535, got 70000", err, StringComparison.Ordinal);
    }

    private async Task<IMqttClient> Connect(string user, string password)
    {
        IMqttClient client = new MqttClientFactory().CreateMqttClient();
        MqttClientOptions options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", _broker.Port)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
            .WithCredentials(user, password)
            .WithClientId($"{user}-{Guid.NewGuid():N}")
            .Build();
        using var cts = new CancellationTokenSource(Timeout);
        MqttClientConnectResult result;
        try
        {
            result = await client.ConnectAsync(options, cts.Token);
        }
        catch (MqttConnectingFailedException e)
        {
            client.Dispose();
            throw new RefusedException(e.Message.Contains("BadUserNameOrPassword", StringComparison.Ordinal) ? MqttClientConnectResultCode.BadUserNameOrPassword : MqttClientConnectResultCode.UnspecifiedError);
        }

        if (result.ResultCode != MqttClientConnectResultCode.Success)
        {
            client.Dispose();
            throw new RefusedException(result.ResultCode);
        }

        return client;
    }

    private static MqttApplicationMessage Message(string topic, string body) =>
        new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(body).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();

    private sealed class RefusedException(MqttClientConnectResultCode code) : Exception($"connection refused: {code}")
    {
        public MqttClientConnectResultCode Code { get; } = code;
    }
}
