using System.CommandLine;
using System.Diagnostics;
using System.IO.Ports;
using Maebashi.Edge.Emulation.Cards;
using Maebashi.Edge.Firmware.Link;
using Maebashi.Edge.Firmware.Simulator;
using Maebashi.Edge.Hardware;
using Maebashi.Edge.ValidatorLink;

namespace Maebashi.Edge.Cli;

/// <summary>
/// <c>validator provision|flash|monitor --port DEV</c> and <c>validator pinmap check|render</c>: the technician's verbs for
/// ESP32 door validators. <c>--port sim</c> runs them against simulated validators on an in-process RS-485 line (front
/// door at address 1, rear door at 2, and one unprovisioned validator at 127).
/// </summary>
internal static class ValidatorCommands
{
    private const string SimulatorPort = "sim";

    /// <summary>nanoFramework target of the ESP32-DevKitC-32E (ESP32-D0WD-V3); older DevKitC boards: ESP32_REV0.</summary>
    private const string DefaultTarget = "ESP32_REV3";

    public static void AddTo(RootCommand root)
    {
        var validator = new Command("validator", "ESP32 door validators: provision, flash, monitor the serial link, check pin maps");
        validator.Subcommands.Add(Provision());
        validator.Subcommands.Add(Flash());
        validator.Subcommands.Add(Monitor());
        validator.Subcommands.Add(PinMapCommands());
        root.Subcommands.Add(validator);
    }

    private static Option<string> PortOption() =>
        new("--port") { Description = "serial device (e.g. /dev/ttyUSB0) of the RS-485/USB adapter, or 'sim' for simulated validators", Required = true };

    private static Command Provision()
    {
        var port = PortOption();
        var deviceId = new Option<string>("--device-id") { Description = "the validator's device id (ASCII, ≤ 32 characters)", Required = true };
        var door = new Option<string>("--door") { Description = "front, rear or a door number 1–9", Required = true };
        var address = new Option<int>("--address") { Description = "link address to give it (1–126; front door 1, rear door 2)", Required = true };
        var current = new Option<int>("--current-address") { Description = "address it answers now (default 127, unprovisioned; 0 = any, one validator on the line only)", DefaultValueFactory = _ => LinkProtocol.UnprovisionedAddress };
        var seqFloor = new Option<long>("--seq-floor") { Description = "lowest tap sequence number to continue from (after a flash erase: the host's last seq for this device)", DefaultValueFactory = _ => 0 };
        var command = new Command("provision", "give a validator its device id, door and link address over the link (kept in its flash)") { port, deviceId, door, address, current, seqFloor };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!TryDoor(parse.GetValue(door)!, out byte doorNumber))
            {
                return Fail("--door: expected front, rear or 1–9");
            }

            int newAddress = parse.GetValue(address);
            int currentAddress = parse.GetValue(current);
            long floor = parse.GetValue(seqFloor);
            if (newAddress is < 1 or > 126 || currentAddress is < 0 or > 127 || floor is < 0 or > uint.MaxValue)
            {
                return Fail("--address must be 1–126, --current-address 0–127, --seq-floor 0–4294967295");
            }

            var provisioning = new ValidatorProvisioning(parse.GetValue(deviceId)!, doorNumber, (byte)newAddress, (uint)floor);
            try
            {
                LinkFrames.CheckProvisioning(provisioning);
            }
            catch (ArgumentException e)
            {
                return Fail(e.Message);
            }

            return await WithLineAsync(parse.GetValue(port)!, [], async (master, _) =>
            {
                try
                {
                    ValidatorHello hello = await master.ProvisionAsync((byte)currentAddress, provisioning, cancellationToken)
                        .WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
                    Console.Out.WriteLine($"provisioned: {hello.DeviceId}, door {Doors.Name(hello.Door)}, address {hello.Address}, firmware {hello.Firmware}, last seq {hello.LastSeq}, backlog {hello.Backlog}, reader {(hello.ChipOk ? "ok" : "FAULT")}");
                    Console.Out.WriteLine($"設定完了 / Provisioned");
                    return ExitCodes.Ok;
                }
                catch (TimeoutException)
                {
                    return Fail($"no validator answered at address {currentAddress} within 5 s (wiring A/B, power, baud 115200, address?)");
                }
            });
        });
        return command;
    }

    private static Command Flash()
    {
        var port = PortOption();
        var target = new Option<string>("--target") { Description = $"nanoFramework target (default {DefaultTarget}: ESP32-DevKitC-32E)", DefaultValueFactory = _ => DefaultTarget };
        var image = new Option<string?>("--image") { Description = "application deployment image (default firmware/Validator/bin/Release/Maebashi.Edge.Validator.bin)" };
        var command = new Command("flash", "flash nanoCLR and the validator application with nanoff") { port, target, image };
        command.SetAction(async (parse, cancellationToken) =>
        {
            string device = parse.GetValue(port)!;
            string targetName = parse.GetValue(target)!;
            string imagePath = parse.GetValue(image) ?? Path.Combine(RepositoryRoot() ?? ".", "firmware", "Validator", "bin", "Release", "Maebashi.Edge.Validator.bin");
            string[] update = ["--target", targetName, "--serialport", device, "--update"];
            string[] deploy = ["--target", targetName, "--serialport", device, "--deploy", "--image", imagePath];
            if (device == SimulatorPort)
            {
                Console.Out.WriteLine("simulated validators need no flashing; on a device this runs:");
                Console.Out.WriteLine($"  nanoff {string.Join(' ', update)}");
                Console.Out.WriteLine($"  nanoff {string.Join(' ', deploy)}");
                return ExitCodes.Ok;
            }

            string? nanoff = FindOnPath("nanoff");
            if (nanoff is null)
            {
                Console.Error.WriteLine("maebashi-edge: nanoff is not installed (not on PATH).");
                Console.Error.WriteLine("  Install it with the .NET SDK:  dotnet tool install --global nanoff");
                Console.Error.WriteLine("  then add ~/.dotnet/tools to PATH and run this verb again. See firmware/README.md.");
                return ExitCodes.Usage;
            }

            if (!File.Exists(imagePath))
            {
                return Fail($"{imagePath}: no deployment image; build firmware/Validator first (firmware/README.md)");
            }

            foreach (string[] arguments in new[] { update, deploy })
            {
                Console.Out.WriteLine($"$ nanoff {string.Join(' ', arguments)}");
                int exit = await RunAsync(nanoff, arguments, cancellationToken);
                if (exit != 0)
                {
                    return Fail($"nanoff exited with {exit}");
                }
            }

            Console.Out.WriteLine("書き込み完了 / Flashed");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Monitor()
    {
        var port = PortOption();
        var addresses = new Option<string>("--addresses") { Description = "validator addresses to poll, comma-separated", DefaultValueFactory = _ => "1,2" };
        var seconds = new Option<int>("--seconds") { Description = "stop after this many seconds (0: until Ctrl+C)", DefaultValueFactory = _ => 0 };
        var all = new Option<bool>("--all") { Description = "also print idle polls and their empty answers" };
        var command = new Command("monitor", "poll the validators as the host does and print every decoded frame") { port, addresses, seconds, all };
        command.SetAction(async (parse, cancellationToken) =>
        {
            byte[] polled;
            try
            {
                polled = [.. parse.GetValue(addresses)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(byte.Parse)];
            }
            catch (Exception e) when (e is FormatException or OverflowException)
            {
                return Fail("--addresses: expected numbers 1–126 separated by commas");
            }

            int duration = parse.GetValue(seconds);
            bool showIdle = parse.GetValue(all);
            // Listening before the master's first poll, so that the validators' Hello is printed too.
            void Print(ValidatorLinkMaster master) => master.FrameSeen += f =>
            {
                if (showIdle || f.Type != nameof(MessageType.Ping) || f.Summary.StartsWith("backlog=", StringComparison.Ordinal) && !f.Summary.StartsWith("backlog=0 ", StringComparison.Ordinal))
                {
                    Console.Out.WriteLine($"{f.At:HH:mm:ss.fff} {(f.FromValidator ? "<-" : "->")} {f.Address,3} {f.Type,-9} #{f.LinkSeq,-3} ack#{f.AckLinkSeq,-3} {f.Summary}");
                }
            };

            return await WithLineAsync(parse.GetValue(port)!, polled, async (master, bus) =>
            {
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                if (duration > 0)
                {
                    stop.CancelAfter(TimeSpan.FromSeconds(duration));
                }

                Task passengers = bus is null ? Task.CompletedTask : PassengersAsync(bus, stop.Token);
                try
                {
                    await Task.Delay(Timeout.Infinite, stop.Token);
                }
                catch (OperationCanceledException)
                {
                }

                await passengers;
                foreach (ValidatorState v in master.Validators)
                {
                    Console.Out.WriteLine($"address {v.Address}: {(v.Online ? "online" : "offline")} {v.DeviceId} door {Doors.Name(v.Door)} firmware {v.Firmware} taps {v.TapsDelivered} backlog {v.Backlog}");
                }

                return ExitCodes.Ok;
            }, Print);
        });
        return command;
    }

    private static Command PinMapCommands()
    {
        var files = new Argument<string[]>("FILE") { Description = "pin-map JSON files (default: the shipped hardware/pinmaps)", Arity = ArgumentArity.ZeroOrMore };
        var check = new Command("check", "refuse pins used twice, flash and strapping pins, input-only outputs, unroutable bus pins") { files };
        check.SetAction(parse =>
        {
            string[] paths = parse.GetValue(files) ?? [];
            if (paths.Length == 0)
            {
                if (RepositoryRoot() is not { } root)
                {
                    return Fail("run inside the repository or name the pin-map files");
                }

                paths = [.. PinMapLoader.ShippedFiles(root)];
            }

            int exit = ExitCodes.Ok;
            foreach (string path in paths)
            {
                try
                {
                    IReadOnlyList<PinProblem> problems = PinMapChecker.Check(PinMapLoader.Load(path));
                    Console.Out.WriteLine($"{path}: {(problems.Count == 0 ? "OK" : $"{problems.Count} problem(s)")}");
                    foreach (PinProblem p in problems)
                    {
                        Console.Out.WriteLine($"  {p.Kind}: {p.Message}");
                    }

                    if (problems.Count > 0)
                    {
                        exit = ExitCodes.Problems;
                    }
                }
                catch (Exception e) when (e is PinMapException or IOException or UnauthorizedAccessException)
                {
                    return Fail($"{path}: {e.Message}");
                }
            }

            return exit;
        });

        var render = new Command("render", "regenerate hardware/wiring/*.svg and firmware/Validator/BoardPins.cs from the shipped pin maps");
        render.SetAction(_ =>
        {
            if (RepositoryRoot() is not { } root)
            {
                return Fail("run inside the repository");
            }

            try
            {
                foreach ((string path, string content) in GeneratedFiles.From(root))
                {
                    File.WriteAllText(path, content);
                    Console.Out.WriteLine($"wrote {Path.GetRelativePath(root, path)}");
                }
            }
            catch (PinMapException e)
            {
                return Fail(e.Message);
            }

            return ExitCodes.Ok;
        });
        return new Command("pinmap", "hardware pin maps: check them, draw wiring diagrams") { check, render };
    }

    /// <summary>Opens the line (a serial port, or the simulator), runs a link master on it during <paramref name="body"/>.</summary>
    /// <param name="beforeRun">Called with the master before it starts polling (to see every frame from the first).</param>
    private static async Task<int> WithLineAsync(string port, byte[] addresses, Func<ValidatorLinkMaster, ValidatorBusSimulator?, Task<int>> body,
        Action<ValidatorLinkMaster>? beforeRun = null)
    {
        var options = new ValidatorLinkOptions();
        options.Addresses.Clear();
        foreach (byte a in addresses)
        {
            options.Addresses.Add(a);
        }

        var handler = new MonitorHandler();
        ValidatorBusSimulator? bus = null;
        SerialPort? serial = null;
        Stream stream;
        if (port == SimulatorPort)
        {
            bus = ValidatorBusSimulator.Start(ValidatorBusSimulator.FrontAndRear("sim-bus"));
            bus.AddUnprovisioned();
            stream = bus.HostPort;
        }
        else
        {
            try
            {
                serial = new SerialPort(port, 115200, Parity.None, 8, StopBits.One) { ReadTimeout = SerialPort.InfiniteTimeout };
                serial.Open();
                stream = serial.BaseStream;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
            {
                return Fail($"{port}: cannot open the serial port: {e.Message}");
            }
        }

        var master = new ValidatorLinkMaster(stream, options, handler);
        beforeRun?.Invoke(master);
        using var stop = new CancellationTokenSource();
        Task run = master.RunAsync(stop.Token);
        try
        {
            return await body(master, bus);
        }
        finally
        {
            await stop.CancelAsync();
            if (bus is not null)
            {
                await bus.DisposeAsync();
            }

            serial?.Dispose();
            try
            {
                await run.WaitAsync(TimeSpan.FromSeconds(2));
            }
            catch (Exception e) when (e is TimeoutException or OperationCanceledException or IOException)
            {
            }
        }
    }

    /// <summary>On the simulator, a passenger taps at each door every second so there is traffic to watch.</summary>
    private static async Task PassengersAsync(ValidatorBusSimulator bus, CancellationToken cancellationToken)
    {
        try
        {
            for (int n = 0; !cancellationToken.IsCancellationRequested; n++)
            {
                int door = n % 2;
                byte[] uid = [0x04, (byte)n, (byte)(n >> 8), 0x5A, 0x11, 0x22, (byte)door];
                await bus.TapAsync(door, new TypeACard(uid), TimeSpan.FromMilliseconds(300), cancellationToken);
                await Task.Delay(TimeSpan.FromMilliseconds(700), cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>The monitor's own host side: accepts every tap (fare ¥0) and keeps nothing.</summary>
    private sealed class MonitorHandler : IValidatorTapHandler
    {
        public ValueTask<ValidatorVerdict> DecideAsync(ValidatorVerdictRequest request, CancellationToken cancellationToken) =>
            ValueTask.FromResult(ValidatorVerdict.Accepted(0));

        public ValueTask StoreAsync(ValidatorTap tap, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    private static bool TryDoor(string text, out byte door)
    {
        door = text switch
        {
            "front" => Doors.Front,
            "rear" => Doors.Rear,
            _ => byte.TryParse(text, out byte n) && n is >= 1 and <= 9 ? n : (byte)0,
        };
        return door != 0;
    }

    private static async Task<int> RunAsync(string program, string[] arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(program) { UseShellExecute = false };
        foreach (string a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {program}");
        await process.WaitForExitAsync(cancellationToken);
        return process.ExitCode;
    }

    private static string? FindOnPath(string program)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    internal static string? RepositoryRoot()
    {
        foreach (string start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (DirectoryInfo? d = new(start); d is not null; d = d.Parent)
            {
                if (File.Exists(Path.Combine(d.FullName, "Maebashi.Edge.sln")) && Directory.Exists(Path.Combine(d.FullName, "hardware", "pinmaps")))
                {
                    return d.FullName;
                }
            }
        }

        return null;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"maebashi-edge: {message}");
        return ExitCodes.Usage;
    }
}
