using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Nodes;
using Maebashi.Edge.Terminal.Config;
using Maebashi.Edge.Terminal.Emulation;
using Maebashi.Edge.Terminal.Emulation.Feedback;
using Maebashi.Edge.Terminal.Hosting;

namespace Maebashi.Edge.Terminal.Tests;

/// <summary>
/// The Pi's deployable carries no emulation: the terminal library and maebashi-terminal reference only
/// what a terminal runs, emulated readers and place/remove exist only where the emulation side is plugged
/// in, and the systemd unit starts the published program.
/// </summary>
[Trait("Category", "Architecture")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class DeployableTests
{
    private static readonly string[] PiAssemblies =
    [
        "maebashi-terminal", "Maebashi.Edge.Contract", "Maebashi.Edge.Readers", "Maebashi.Edge.ValidatorLink",
        "Maebashi.Edge.Terminal", "Maebashi.Edge.Firmware.Core",
    ];

    /// <summary>maebashi-terminal.dll in the service project's own output, with its own dependencies.</summary>
    private static string ServiceDll => Path.GetFullPath(typeof(DeployableTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "MaebashiTerminalDll").Value!);

    /// <summary>Every Maebashi Edge assembly reachable by references from <paramref name="root"/>.</summary>
    private static SortedSet<string> OwnClosure(Assembly root)
    {
        var seen = new SortedSet<string>(StringComparer.Ordinal) { root.GetName().Name! };
        var next = new Queue<Assembly>([root]);
        while (next.TryDequeue(out Assembly? a))
        {
            foreach (AssemblyName r in a.GetReferencedAssemblies())
            {
                if (r.Name!.StartsWith("Maebashi.Edge.", StringComparison.Ordinal) && seen.Add(r.Name))
                {
                    next.Enqueue(Assembly.Load(r));
                }
            }
        }

        return seen;
    }

    [Fact]
    public void The_terminal_library_references_no_emulation_ingest_broker_or_demo()
    {
        SortedSet<string> closure = OwnClosure(typeof(TerminalRuntime).Assembly);
        Assert.Subset(new SortedSet<string>(PiAssemblies, StringComparer.Ordinal), closure);
    }

    [Fact]
    public void Maebashi_terminal_references_only_what_the_Pi_runs()
    {
        SortedSet<string> closure = OwnClosure(Assembly.LoadFrom(ServiceDll));
        Assert.Subset(new SortedSet<string>(PiAssemblies, StringComparer.Ordinal), closure);
        Assert.Contains("Maebashi.Edge.Terminal", closure);
    }

    private static TerminalParts Parts() => new() { Gpio = new System.Device.Gpio.GpioController(new EmulatedGpioDriver()) };

    [Fact]
    public async Task Without_the_emulation_side_the_control_socket_knows_no_place_or_remove()
    {
        using var site = new TestSite();
        site.Options.Control = new ControlOptions { Enabled = true, Port = 0 };
        await using TerminalRuntime bare = TerminalRuntime.Create(site.Options, Parts());
        string answer = await bare.Control!.HandleAsync("place rear felica 0101120012345678");
        Assert.StartsWith("error unknown command", answer, StringComparison.Ordinal);
        Assert.DoesNotContain("place", answer, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_the_emulation_side_an_emulated_reader_is_a_driver_nobody_provides()
    {
        using var site = new TestSite();
        site.Options.Readers = [new ReaderOptions { Name = "door", Driver = "emulated:pn532-i2c", Tap = "board", Door = "rear" }];
        var e = Assert.Throws<TerminalConfigException>(() => TerminalRuntime.Create(site.Options, Parts()));
        Assert.Contains("Readers[door]:Driver: no driver 'emulated:pn532-i2c'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_the_emulation_side_plugged_in_place_and_remove_hold_and_take_a_card_on_an_emulated_reader()
    {
        using var site = new TestSite();
        site.Options.Control = new ControlOptions { Enabled = true, Port = 0 };
        site.Options.Readers = [new ReaderOptions { Name = "door", Driver = "emulated:pn532-i2c", Tap = "board", Door = "rear" }];
        await using TerminalRuntime emulated = TerminalRuntime.Create(site.Options, Parts().AddEmulation());
        Assert.Equal("ok placed on door", await emulated.Control!.HandleAsync("place door felica 0101120012345678"));
        Assert.Single(emulated.Emulated("door").Rig.Field.Cards);
        Assert.Equal("ok removed from door", await emulated.Control.HandleAsync("remove door"));
        Assert.Empty(emulated.Emulated("door").Rig.Field.Cards);
        Assert.Contains("place READER TECH UIDHEX | remove READER", await emulated.Control.HandleAsync("nonsense"), StringComparison.Ordinal);
    }

    [Fact]
    public void The_doctor_of_maebashi_terminal_knows_no_emulated_driver_and_that_of_maebashi_edge_does()
    {
        using var site = new TestSite();
        string config = CrashTests.WriteConfig(site);
        JsonObject cfg = JsonNode.Parse(File.ReadAllText(config))!.AsObject();
        cfg["Readers"] = new JsonArray { new JsonObject { ["Name"] = "door", ["Driver"] = "emulated:pn532-i2c", ["Door"] = "rear", ["Tap"] = "board" } };
        File.WriteAllText(config, cfg.ToJsonString());

        (int serviceExit, string serviceOut, _) = Run(ServiceDll, "doctor", "--config", config);
        Assert.Equal(1, serviceExit);
        Assert.Contains("reader door", serviceOut, StringComparison.Ordinal);
        Assert.Contains("no driver 'emulated:pn532-i2c' on this terminal", serviceOut, StringComparison.Ordinal);

        (_, string cliOut, _) = Run(EdgeCli.Dll, "terminal", "doctor", "--config", config);
        Assert.Matches(@"reader door\s+emulated:pn532-i2c, reads ", cliOut);
    }

    [Fact]
    public void Maebashi_terminal_names_itself_in_its_errors_with_the_same_exit_codes()
    {
        string missing = Path.Combine(Path.GetTempPath(), "mbe-no-such-" + Guid.NewGuid().ToString("N") + ".json");
        (int exit, _, string err) = Run(ServiceDll, "ledger", "show", "--config", missing);
        Assert.Equal(1, exit);
        Assert.Contains($"maebashi-terminal: {missing}: no such file", err, StringComparison.Ordinal);
        (int cliExit, _, string cliErr) = Run(EdgeCli.Dll, "ledger", "show", "--config", missing);
        Assert.Equal(exit, cliExit);
        Assert.Contains($"maebashi-edge: {missing}: no such file", cliErr, StringComparison.Ordinal);
    }

    [Fact]
    public void The_systemd_unit_starts_the_published_program_hardened_with_the_memory_settings()
    {
        string unit = File.ReadAllText(Path.Combine(Repository(), "terminal-host", "systemd", "maebashi-edge-terminal.service"));
        string[] lines = unit.Split('\n', StringSplitOptions.TrimEntries);
        Assert.Contains("ExecStart=/opt/maebashi-edge/terminal/maebashi-terminal run --config /etc/maebashi-edge/terminal.json", lines);
        foreach (string setting in new[]
        {
            "User=maebashi", "NoNewPrivileges=true", "ProtectSystem=strict", "ProtectHome=true", "PrivateTmp=true",
            "ProtectKernelTunables=true", "StateDirectory=maebashi-edge", "SupplementaryGroups=gpio spi i2c dialout",
            "Environment=DOTNET_GCHeapHardLimit=0x4000000",
        })
        {
            Assert.Contains(setting, lines);
        }

        // The readers need their device nodes: nothing may hide /dev or close the device policy.
        Assert.DoesNotContain(lines, l => l.StartsWith("PrivateDevices=", StringComparison.Ordinal) || l.StartsWith("DevicePolicy=", StringComparison.Ordinal));
    }

    private static string Repository()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "Maebashi.Edge.sln")))
            {
                return d.FullName;
            }
        }

        throw new DirectoryNotFoundException("Maebashi.Edge.sln not found above " + AppContext.BaseDirectory);
    }

    private static (int Exit, string Out, string Err) Run(string dll, params string[] args)
    {
        ProcessResult r = ProcessRunner.Run(ChildProcess.DotnetHost, [dll, .. args], EdgeCli.VerbTimeout);
        return (r.Exit, r.Out, r.Err);
    }
}
