using System.CommandLine;
using System.Globalization;
using Maebashi.Edge.Demo;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Maebashi.Edge.Cli;

/// <summary><c>demo</c>: the whole system on one machine with emulated hardware (the README's first command).</summary>
internal static class DemoCommands
{
    public static void AddTo(RootCommand root)
    {
        var duration = new Option<string?>("--duration") { Description = "how long to run, e.g. 90s or 5m (default: until Ctrl+C)" };
        var speed = new Option<double>("--speed") { Description = "scenario speed: stops, passengers and visits come this many times as often", DefaultValueFactory = _ => 1 };
        var broker = new Option<string>("--broker") { Description = "embedded (the ingest's MQTTnet broker) or mosquitto", DefaultValueFactory = _ => "embedded" };
        var store = new Option<string>("--store") { Description = "the ingest's store: litedb (in the demo's temporary folder) or postgresql://USER[:PASS]@HOST[:PORT]/DB", DefaultValueFactory = _ => "litedb" };
        var httpPort = new Option<int>("--http-port") { Description = "HTTP API port on 127.0.0.1 (a free one if taken)", DefaultValueFactory = _ => 8080 };
        var keep = new Option<bool>("--keep") { Description = "keep the temporary data folder" };
        var verbose = new Option<bool>("--verbose") { Description = "show warnings from every part on stderr" };
        var demo = new Command("demo", "run the ingest and a simulated fleet (2 buses with door validators, an event site, a clinic) on emulated hardware")
        {
            duration, speed, broker, store, httpPort, keep, verbose,
        };
        demo.SetAction(async (parse, ct) =>
        {
            DemoOptions options;
            try
            {
                string? d = parse.GetValue(duration);
                options = new DemoOptions
                {
                    Duration = d is null ? null : DemoOptions.ParseDuration(d),
                    Speed = parse.GetValue(speed),
                    Broker = parse.GetValue(broker)!,
                    Store = parse.GetValue(store)!,
                    HttpPort = parse.GetValue(httpPort),
                    Keep = parse.GetValue(keep),
                };
                options.Validate();
            }
            catch (Exception e) when (e is FormatException or ArgumentException)
            {
                Console.Error.WriteLine($"maebashi-edge: {e.Message}");
                return ExitCodes.Usage;
            }

            using ILoggerFactory loggers = LoggerFactory.Create(b => b
                .AddSimpleConsole(o => o.SingleLine = true)
                .AddFilter<ConsoleLoggerProvider>(level => level >= (parse.GetValue(verbose) ? LogLevel.Warning : LogLevel.Error))
                .Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
            return await RunAsync(options, loggers, ct);
        });
        root.Subcommands.Add(demo);
    }

    private static async Task<int> RunAsync(DemoOptions options, ILoggerFactory loggers, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            // First Ctrl+C ends the scenario and prints the report; a second one ends at once.
            if (!stop.IsCancellationRequested)
            {
                e.Cancel = true;
                Console.Out.WriteLine("-- stopping: draining backlogs, then the report / 終了処理中");
                stop.Cancel();
            }
        };
        Console.CancelKeyPress += onCancel;
        TextWriter output = Console.Out;
        try
        {
            output.WriteLine($"Maebashi Edge demo — broker {options.Broker}, speed {options.Speed.ToString(CultureInfo.InvariantCulture)}, {(options.Duration is { } d ? $"for {d}" : "until Ctrl+C")}");
            await using DemoFleet fleet = await DemoFleet.StartAsync(options, output, loggers, CancellationToken.None);
            output.WriteLine($"HTTP API: {fleet.Api}  (admin token: {fleet.AdminToken})");
            output.WriteLine($"  e.g. curl -H 'Authorization: Bearer {fleet.AdminToken}' {fleet.Api}api/v1/devices");
            output.WriteLine($"管理画面 / Console: {fleet.Api}console/  サインイン / sign in as:");
            foreach (DemoOperator o in fleet.Operators)
            {
                output.WriteLine($"  {o.Name,-18} {o.Password}  ({o.Scope})");
            }

            output.WriteLine($"devices: {string.Join(", ", fleet.Terminals.Select(t => $"{t.Options.DeviceId} ({t.Options.Role})"))}");
            await fleet.RunAsync(stop.Token);
            output.WriteLine("-- scenario over: draining backlogs / 送信待ちを送信中");
            bool drained = await fleet.DrainAsync(TimeSpan.FromSeconds(90));
            if (!drained)
            {
                output.WriteLine("-- warning: some backlog did not drain within 90 s; the report shows what the ingest has applied");
            }

            DemoReport report = await fleet.ReportAsync(CancellationToken.None);
            report.Write(output);
            return drained ? ExitCodes.Ok : ExitCodes.Problems;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or HttpRequestException)
        {
            Console.Error.WriteLine($"maebashi-edge: demo failed: {e.Message}");
            return ExitCodes.Usage;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }
}
