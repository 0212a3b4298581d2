using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Terminal.Config;
using Maebashi.Edge.Terminal.Doctor;
using Maebashi.Edge.Terminal.Hosting;
using Maebashi.Edge.Terminal.Ledger;

namespace Maebashi.Edge.Terminal.Commands;

/// <summary>
/// The terminal's verbs, defined once: <c>run</c>, <c>doctor</c>, <c>provision</c> and
/// <c>ledger show|export</c>. <c>maebashi-terminal</c> (the Pi's service program) offers them at its
/// top level; <c>maebashi-edge</c> offers them as <c>terminal …</c> and <c>ledger …</c>, with the
/// emulated readers plugged in through <paramref name="customizeParts"/>.
/// </summary>
/// <param name="program">The program's name, leading each error line (<c>maebashi-terminal: …</c>).</param>
/// <param name="customizeParts">Adds to the parts of <c>run</c> and <c>doctor</c> (more reader drivers, control commands).</param>
public sealed class TerminalCommandSet(string program, Action<TerminalParts>? customizeParts = null)
{
    /// <summary>The verbs as the technician's CLI groups them: <c>terminal run|doctor|provision</c>, <c>ledger show|export</c>.</summary>
    public void AddGroupsTo(Command root)
    {
        var terminal = new Command("terminal", "the station service of a terminal (bus, event site, clinic reception)");
        terminal.Subcommands.Add(Run());
        terminal.Subcommands.Add(Doctor());
        terminal.Subcommands.Add(Provision());
        root.Subcommands.Add(terminal);
        root.Subcommands.Add(Ledger());
    }

    /// <summary>The verbs at the top level of the service program: <c>run</c>, <c>doctor</c>, <c>ledger show|export</c>, <c>provision</c>.</summary>
    public void AddVerbsTo(Command root)
    {
        root.Subcommands.Add(Run());
        root.Subcommands.Add(Doctor());
        root.Subcommands.Add(Ledger());
        root.Subcommands.Add(Provision());
    }

    public Command Ledger()
    {
        var ledger = new Command("ledger", "a terminal's tap ledger (backlog, export for manual recovery)");
        ledger.Subcommands.Add(LedgerShow());
        ledger.Subcommands.Add(LedgerExport());
        return ledger;
    }

    private static Option<string> ConfigOption() =>
        new("--config") { Description = "the terminal's configuration file (JSON)", Required = true };

    public Command Run()
    {
        var config = ConfigOption();
        var run = new Command("run", "run the terminal service (systemd: see docs/terminal.md)") { config };
        run.SetAction(async (parse, ct) => await TerminalHost.RunAsync(parse.GetValue(config)!, Console.Error, program, customizeParts, ct));
        return run;
    }

    public Command Doctor()
    {
        var config = ConfigOption();
        var doctor = new Command("doctor", "check readers, broker and credentials, clock, disk, ledger, cfg and deny-list age") { config };
        doctor.SetAction(async (parse, ct) =>
        {
            if (!TryLoad(parse.GetValue(config)!, out TerminalOptions? o))
            {
                return ExitCodes.Problems;
            }

            var parts = new TerminalParts();
            customizeParts?.Invoke(parts);
            List<DoctorCheck> checks = await TerminalDoctor.RunAsync(o!, parts, ct);
            foreach (DoctorCheck c in checks)
            {
                Console.Out.WriteLine(c);
            }

            int fails = checks.Count(c => c.Level == CheckLevel.Fail);
            Console.Out.WriteLine(fails == 0 ? "terminal OK" : $"{fails} check(s) failed");
            return fails == 0 ? ExitCodes.Ok : ExitCodes.Problems;
        });
        return doctor;
    }

    public Command LedgerShow()
    {
        var config = ConfigOption();
        var show = new Command("show", "backlog size, oldest unacknowledged entry, last sequence number") { config };
        show.SetAction(parse =>
        {
            if (!TryLoad(parse.GetValue(config)!, out TerminalOptions? o))
            {
                return ExitCodes.Problems;
            }

            try
            {
                using LedgerAccess access = LedgerAccess.Open(o!);
                LedgerSummary s = access.Ledger.Summary();
                Console.Out.WriteLine($"ledger of {o!.DeviceId}{(access.IsSnapshot ? " (a copy: the service is running)" : "")}");
                Console.Out.WriteLine($"  entries        {s.Entries}");
                Console.Out.WriteLine($"  backlog        {s.Backlog} (not yet acknowledged by the ingest)");
                Console.Out.WriteLine(s.OldestUnackedSeq is { } seq
                    ? $"  oldest unacked seq {seq} at {s.OldestUnackedAt:O}"
                    : "  oldest unacked -");
                Console.Out.WriteLine($"  last seq       {s.LastSeq}");
                Console.Out.WriteLine($"  size           {s.SizeBytes} bytes");
                return ExitCodes.Ok;
            }
            catch (Exception e) when (e is IOException or LiteDB.LiteException)
            {
                return Fail(e.Message);
            }
        });
        return show;
    }

    public Command LedgerExport()
    {
        var config = ConfigOption();
        var output = new Option<string?>("--out") { Description = "write the JSON lines here instead of standard output" };
        var all = new Option<bool>("--all") { Description = "include entries already acknowledged" };
        var export = new Command("export", "export unacknowledged entries as JSON lines (one event per line) for manual recovery") { config, output, all };
        export.SetAction(parse =>
        {
            if (!TryLoad(parse.GetValue(config)!, out TerminalOptions? o))
            {
                return ExitCodes.Problems;
            }

            try
            {
                using LedgerAccess access = LedgerAccess.Open(o!);
                string? path = parse.GetValue(output);
                using TextWriter w = path is null ? new StreamWriter(Console.OpenStandardOutput()) : new StreamWriter(path);
                long n = 0;
                foreach (LedgerRecord r in access.Ledger.Records(unackedOnly: !parse.GetValue(all)))
                {
                    w.Write(r.Json);
                    w.Write('\n');
                    n++;
                }

                w.Flush();
                Console.Error.WriteLine($"{program}: exported {n} entries of {o!.DeviceId}");
                return ExitCodes.Ok;
            }
            catch (Exception e) when (e is IOException or LiteDB.LiteException or UnauthorizedAccessException)
            {
                return Fail(e.Message);
            }
        });
        return export;
    }

    public Command Provision()
    {
        var dir = new Option<string>("--out") { Description = "directory for terminal.json and keys/ (e.g. /etc/maebashi-edge)", Required = true };
        var device = new Option<string>("--device") { Description = "device id of the registry", Required = true };
        var registry = new Option<string?>("--registry") { Description = "take role, vehicle, device key and region key from this registry file" };
        var role = new Option<string?>("--role") { Description = "bus, event or clinic (without --registry)" };
        var deviceKey = new Option<string?>("--device-key-hex") { Description = "device key in hex (without --registry)" };
        var regionKey = new Option<string?>("--region-key-hex") { Description = "region key in hex (without --registry)" };
        var host = new Option<string>("--broker-host") { Description = "broker host", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--broker-port") { Description = "broker port", DefaultValueFactory = _ => 1883 };
        var tls = new Option<bool>("--tls") { Description = "TLS to the broker" };
        var caFile = new Option<string?>("--ca-file") { Description = "with --tls: the CA of the broker's certificate (PEM), copied to keys/ca.crt" };
        var clientCert = new Option<string?>("--client-cert") { Description = "with --tls: this terminal's client certificate (PEM, CN = the device id), copied to keys/client.crt" };
        var clientKey = new Option<string?>("--client-key") { Description = "the client certificate's private key (PEM), copied owner-only to keys/client.key" };
        var state = new Option<string>("--state") { Description = "state directory (ledger); kept across re-provisioning", DefaultValueFactory = _ => "state" };
        var force = new Option<bool>("--force") { Description = "replace an existing terminal.json and keys (the ledger is never touched)" };
        var cmd = new Command("provision", "write a terminal's identity, broker settings and owner-only key files")
        {
            dir, device, registry, role, deviceKey, regionKey, host, port, tls, caFile, clientCert, clientKey, state, force,
        };
        cmd.SetAction(parse =>
        {
            string outDir = parse.GetValue(dir)!;
            string id = parse.GetValue(device)!;
            if (!Topics.IsValidDeviceId(id))
            {
                return Fail($"--device: '{id}' is not a device id (letters, digits, '-', '_')");
            }

            string? r = parse.GetValue(role);
            string? vehicle = null;
            string? devHex = parse.GetValue(deviceKey);
            string? regHex = parse.GetValue(regionKey);
            if (parse.GetValue(registry) is { } regPath)
            {
                try
                {
                    using FileStream fs = File.OpenRead(regPath);
                    RegistryDocument doc = RegistryLoader.Parse(fs, regPath);
                    DeviceDef? d = doc.Devices?.FirstOrDefault(x => x.Id == id);
                    if (d is null)
                    {
                        return Fail($"{regPath}: devices: no device '{id}'");
                    }

                    r ??= d.Role;
                    vehicle = d.Vehicle;
                    devHex ??= d.Key;
                    regHex ??= doc.Keys?.RegionKey;
                }
                catch (RegistryException e)
                {
                    return Fail(e.Message);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    return Fail($"{regPath}: cannot read the file: {e.Message}");
                }
            }

            if (!DeviceRoles.IsKnown(r))
            {
                return Fail($"--role: expected bus, event or clinic, got '{r}'");
            }

            if (!Hex.TryParse(devHex, out byte[] dk) || dk.Length < 16)
            {
                return Fail("device key: expected at least 16 bytes of hex (--device-key-hex or the registry's device key)");
            }

            if (!Hex.TryParse(regHex, out byte[] rk) || rk.Length < 16)
            {
                return Fail("region key: expected at least 16 bytes of hex (--region-key-hex or the registry's keys.regionKey)");
            }

            if (ProvisionTls.Problem(id, parse.GetValue(tls), parse.GetValue(caFile), parse.GetValue(clientCert), parse.GetValue(clientKey)) is { } tlsProblem)
            {
                return Fail(tlsProblem);
            }

            string configPath = Path.Combine(outDir, "terminal.json");
            if (File.Exists(configPath) && !parse.GetValue(force))
            {
                return Fail($"{configPath} exists; pass --force to replace it (the ledger and its sequence numbers are kept)");
            }

            try
            {
                Directory.CreateDirectory(outDir);
                string keys = Path.Combine(outDir, "keys");
                Directory.CreateDirectory(keys);
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(keys, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                }

                SecretFile.Write(Path.Combine(keys, "device.key"), Hex.Format(dk));
                SecretFile.Write(Path.Combine(keys, "region.key"), Hex.Format(rk));
                var cfg = new JsonObject
                {
                    ["DeviceId"] = id,
                    ["Role"] = r,
                    ["StateDirectory"] = parse.GetValue(state),
                    ["DeviceKeyFile"] = "keys/device.key",
                    ["RegionKeyFile"] = "keys/region.key",
                    ["Broker"] = new JsonObject
                    {
                        ["Host"] = parse.GetValue(host),
                        ["Port"] = parse.GetValue(port),
                        ["Tls"] = parse.GetValue(tls),
                    },
                    ["Readers"] = DefaultReaders(r!),
                };
                if (vehicle is not null)
                {
                    cfg["Vehicle"] = vehicle;
                }

                ProvisionTls.Copy(keys, (JsonObject)cfg["Broker"]!, parse.GetValue(caFile), parse.GetValue(clientCert), parse.GetValue(clientKey));

                File.WriteAllText(configPath, cfg.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
                Console.Out.WriteLine($"provisioned {id} ({r}) in {outDir}: terminal.json, keys/device.key, keys/region.key (0600)");
                return ExitCodes.Ok;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return Fail($"{outDir}: {e.Message}");
            }
        });
        return cmd;
    }

    private static JsonArray DefaultReaders(string role) => role switch
    {
        DeviceRoles.Bus =>
        [
            new JsonObject { ["Name"] = "rear", ["Driver"] = "injected", ["Door"] = "rear", ["Tap"] = "board" },
            new JsonObject { ["Name"] = "front", ["Driver"] = "injected", ["Door"] = "front", ["Tap"] = "alight" },
        ],
        DeviceRoles.Event =>
        [
            new JsonObject { ["Name"] = "entrance", ["Driver"] = "injected", ["Tap"] = "in" },
            new JsonObject { ["Name"] = "exit", ["Driver"] = "injected", ["Tap"] = "out" },
        ],
        _ => [new JsonObject { ["Name"] = "reception", ["Driver"] = "injected" }],
    };

    private bool TryLoad(string path, out TerminalOptions? options)
    {
        try
        {
            options = TerminalConfig.Load(path);
            return true;
        }
        catch (TerminalConfigException e)
        {
            foreach (string p in e.Problems)
            {
                Console.Error.WriteLine($"{program}: {e.Path}: {p}");
            }

            options = null;
            return false;
        }
    }

    private int Fail(string message)
    {
        Console.Error.WriteLine($"{program}: {message}");
        return ExitCodes.Usage;
    }
}
