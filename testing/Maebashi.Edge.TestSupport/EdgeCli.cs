using System.Globalization;

namespace Maebashi.Edge.TestSupport;

/// <summary>
/// The <c>maebashi-edge</c> program as a technician or a script runs it: <c>dotnet maebashi-edge.dll</c> from the
/// caller's output folder (test projects reference the CLI, so its DLL is copied there).
/// </summary>
public static class EdgeCli
{
    /// <summary>How long a verb that is meant to end may take before the run counts as hung.</summary>
    public static readonly TimeSpan VerbTimeout = TimeSpan.FromSeconds(60);

    /// <summary>How long a service may take from start to saying it runs.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    public static string Dll => Path.Combine(AppContext.BaseDirectory, "maebashi-edge.dll");

    /// <summary>Runs a verb to its end.</summary>
    /// <exception cref="TimeoutException">It did not end within <see cref="VerbTimeout"/>.</exception>
    public static ProcessResult Run(params string[] args) => Run(new ProcessOptions(), args);

    /// <inheritdoc cref="Run(string[])"/>
    public static ProcessResult Run(ProcessOptions options, params string[] args) =>
        ProcessRunner.Run(ChildProcess.DotnetHost, [Dll, .. args], VerbTimeout, options);

    /// <inheritdoc cref="Run(string[])"/>
    public static Task<ProcessResult> RunAsync(params string[] args) =>
        ProcessRunner.RunAsync(ChildProcess.DotnetHost, [Dll, .. args], VerbTimeout);

    /// <inheritdoc cref="Run(string[])"/>
    public static Task<ProcessResult> RunAsync(ProcessOptions options, params string[] args) =>
        ProcessRunner.RunAsync(ChildProcess.DotnetHost, [Dll, .. args], VerbTimeout, options);

    /// <summary>Starts a verb that keeps running (a service).</summary>
    public static ChildProcess Start(string name, IEnumerable<string> args, ProcessOptions? options = null) =>
        ChildProcess.StartDotnet(name, Dll, args, options);

    /// <summary><c>terminal run --config FILE</c>, returned once the terminal logs that it runs (its control port is written by then).</summary>
    public static async Task<ChildProcess> StartTerminalAsync(string configPath, ProcessOptions? options = null)
    {
        ChildProcess terminal = Start("the terminal", ["terminal", "run", "--config", configPath], options);
        try
        {
            await terminal.WaitForLineAsync(l => l.Contains(" running: ", StringComparison.Ordinal), StartTimeout);
            return terminal;
        }
        catch
        {
            terminal.Dispose();
            throw;
        }
    }

    /// <summary>
    /// <c>ingest run ARGS…</c>, returned once it printed its machine-readable line
    /// (<c>mqtt-port=… http-port=… data=…</c>), with the ports read from that line.
    /// </summary>
    public static async Task<RunningIngestProcess> StartIngestAsync(IEnumerable<string> runArgs, ProcessOptions? options = null)
    {
        ChildProcess ingest = Start("the ingest", ["ingest", "run", .. runArgs], options);
        try
        {
            string line = await ingest.WaitForLineAsync(l => l.StartsWith("mqtt-port=", StringComparison.Ordinal), StartTimeout);
            return new RunningIngestProcess(ingest, PortOf(line, "mqtt-port"), PortOf(line, "http-port"));
        }
        catch
        {
            ingest.Dispose();
            throw;
        }
    }

    private static int PortOf(string line, string key)
    {
        foreach (string field in line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (field.StartsWith(key + "=", StringComparison.Ordinal))
            {
                return int.Parse(field.AsSpan(key.Length + 1), CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"the ingest's first line has no {key}: {line}");
    }
}

/// <summary>An <c>ingest run</c> process and the ports it said it listens on; disposing kills it if it still runs.</summary>
public sealed record RunningIngestProcess(ChildProcess Process, int MqttPort, int HttpPort) : IDisposable
{
    public void Dispose() => Process.Dispose();
}
