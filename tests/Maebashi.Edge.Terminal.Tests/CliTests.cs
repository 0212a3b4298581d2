using System.Text.Json.Nodes;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Terminal.Config;
using Maebashi.Edge.Terminal.Emulation.Feedback;
using Maebashi.Edge.Terminal.Hosting;
using Maebashi.Edge.Terminal.Taps;

namespace Maebashi.Edge.Terminal.Tests;

/// <summary>The service's start-up checks and the technicians' verbs, run as the program a technician runs.</summary>
[Trait("Category", "Terminal")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class CliTests
{
    private static string Edit(TestSite site, Action<JsonObject> change)
    {
        string path = CrashTests.WriteConfig(site);
        JsonObject cfg = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        change(cfg);
        File.WriteAllText(path, cfg.ToJsonString());
        return path;
    }

    [Theory]
    [InlineData("Uplink", "BatchSize", "0", "Uplink:BatchSize: expected a whole number from 1 to 1000, got 0")]
    [InlineData("Uplink", "AckTimeout", "\"ten seconds\"", "Uplink:AckTimeout: expected a duration")]
    [InlineData("Ledger", "Retention", "\"-1.00:00:00\"", "Ledger:Retention: expected a duration from")]
    [InlineData("Broker", "Port", "70000", "Broker:Port: expected a whole number from 1 to 65535, got 70000")]
    [InlineData("Broker", "Hots", "\"x\"", "Broker:Hots: unknown key")]
    public void A_wrong_value_stops_the_service_naming_the_key_and_what_is_expected(string section, string key, string json, string expected)
    {
        using var site = new TestSite();
        string config = Edit(site, c => (c[section] ??= new JsonObject()).AsObject()[key] = JsonNode.Parse(json));
        (int exit, _, string err) = EdgeCli.Run("terminal", "run", "--config", config);
        Assert.Equal(1, exit);
        Assert.Contains(expected, err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
    }

    [Fact]
    public void A_role_that_does_not_exist_is_named()
    {
        using var site = new TestSite();
        string config = Edit(site, c => c["Role"] = "tram");
        (int exit, _, string err) = EdgeCli.Run("terminal", "run", "--config", config);
        Assert.Equal(1, exit);
        Assert.Contains("Role: expected bus, event or clinic, got 'tram'", err, StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_file_readable_by_others_is_refused_naming_the_file_and_its_mode()
    {
        using var site = new TestSite();
        string config = CrashTests.WriteConfig(site);
        string key = Path.Combine(site.Directory, "device.key");
        File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        (int exit, _, string err) = EdgeCli.Run("terminal", "run", "--config", config);
        Assert.Equal(1, exit);
        Assert.Contains($"DeviceKeyFile: {key}: mode 0644", err, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexString(TestSite.DeviceKey), err, StringComparison.OrdinalIgnoreCase);
        Assert.Throws<SecretFileException>(() => SecretFile.ReadKey(key, "DeviceKeyFile"));
    }

    [Fact]
    public void Provision_writes_a_configuration_that_runs_and_owner_only_key_files_and_keeps_an_existing_one()
    {
        string dir = Path.Combine(Path.GetTempPath(), "mbe-prov-" + Guid.NewGuid().ToString("N"));
        try
        {
            (int exit, string output, string err) = EdgeCli.Run("terminal", "provision", "--out", dir, "--device", "CLN01", "--registry", SharedFixtures.RegistryPath, "--broker-port", "1884");
            Assert.True(exit == 0, err);
            Assert.Contains("CLN01", output, StringComparison.Ordinal);
            foreach (string f in new[] { "keys/device.key", "keys/region.key" })
            {
                Assert.Equal(SecretFile.OwnerOnly, File.GetUnixFileMode(Path.Combine(dir, f)));
            }

            TerminalOptions o = TerminalConfig.Load(Path.Combine(dir, "terminal.json"));
            Assert.Equal("clinic", o.Role);
            Assert.Equal(1884, o.Broker.Port);
            TerminalSecrets secrets = TerminalSecrets.Load(o);
            // The region key of the registry: the sample card's token comes out as the registry's.
            Assert.Equal("fYLPTEcc3V8cNDIWtme8Bw", CardToken.Compute(secrets.RegionKey, CardTech.Iso14443A, "04A1B2C3D4E5F6"));

            (int again, _, string why) = EdgeCli.Run("terminal", "provision", "--out", dir, "--device", "CLN01", "--registry", SharedFixtures.RegistryPath);
            Assert.Equal(2, again);
            Assert.Contains("--force", why, StringComparison.Ordinal);

            (int unknown, _, string whyUnknown) = EdgeCli.Run("terminal", "provision", "--out", dir + "x", "--device", "NOPE", "--registry", SharedFixtures.RegistryPath);
            Assert.Equal(2, unknown);
            Assert.Contains("no device 'NOPE'", whyUnknown, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Ledger_show_and_export_give_the_backlog_and_json_lines_for_recovery()
    {
        using var site = new TestSite();
        string config = CrashTests.WriteConfig(site);
        TerminalOptions o = TerminalConfig.Load(config);
        var seqs = new List<ulong>();
        await using (TerminalRuntime t = TerminalRuntime.Create(o, new TerminalParts { Gpio = new System.Device.Gpio.GpioController(new EmulatedGpioDriver()) }))
        {
            t.Vehicle.Set("R01", "S01");
            for (int i = 0; i < 4; i++)
            {
                seqs.Add(t.Pipeline.Tap(new CardRead(CardTech.Iso14443A, Convert.FromHexString($"0A0B0C{i:X2}"), "rear")).Seq!.Value);
            }

            t.Ledger.MarkAcked([seqs[0]]);
        }

        (int exit, string show, _) = EdgeCli.Run("ledger", "show", "--config", config);
        Assert.Equal(0, exit);
        Assert.Contains("backlog        3", show, StringComparison.Ordinal);
        Assert.Contains($"oldest unacked seq {seqs[1]}", show, StringComparison.Ordinal);

        string outFile = Path.Combine(site.Directory, "export.jsonl");
        (int exit2, _, string err) = EdgeCli.Run("ledger", "export", "--config", config, "--out", outFile);
        Assert.Equal(0, exit2);
        Assert.Contains("exported 3 entries", err, StringComparison.Ordinal);
        string[] lines = File.ReadAllLines(outFile);
        Assert.Equal(seqs.Skip(1), lines.Select(l => (ulong)JsonNode.Parse(l)!["seq"]!));
        Assert.All(lines, l => Assert.DoesNotContain("0A0B0C", l, StringComparison.OrdinalIgnoreCase));

        (int exit3, string all, _) = EdgeCli.Run("ledger", "export", "--config", config, "--all");
        Assert.Equal(0, exit3);
        Assert.Equal(4, all.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task Doctor_checks_broker_credentials_ledger_and_says_what_is_wrong()
    {
        using var site = new TestSite();
        int port = LoopbackPorts.Free();
        string config = Edit(site, c => c["Broker"]!["Port"] = port);

        (int down, string report, _) = EdgeCli.Run("terminal", "doctor", "--config", config);
        Assert.Equal(1, down);
        Assert.Matches(@"FAIL\s+broker\s+127\.0\.0\.1:\d+ not reachable", report);

        await using TestBroker broker = await TestBroker.StartAsync(port, new() { ["BUS0042"] = TestSite.DeviceKey });
        (int ok, string good, _) = EdgeCli.Run("terminal", "doctor", "--config", config);
        Assert.Matches(@"OK\s+credentials\s+broker accepted user BUS0042", good);
        Assert.Matches(@"OK\s+reader rear", good);
        Assert.Matches(@"OK\s+clock", good);
        Assert.Matches(@"OK\s+disk", good);
        Assert.Matches(@"WARN\s+cfg\s+none received yet", good);
        Assert.Equal(0, ok);

        // A key the broker does not know: the credentials are refused and doctor says so.
        SecretFile.Write(Path.Combine(site.Directory, "device.key"), new string('A', 64));
        (int refused, string bad, _) = EdgeCli.Run("terminal", "doctor", "--config", config);
        Assert.Equal(1, refused);
        Assert.Matches(@"FAIL\s+credentials\s+broker refused user BUS0042", bad);
    }
}
