namespace Maebashi.Edge.Cli;

/// <summary>
/// What a technician copies to a machine: one executable project, the runtime it targets by default, and
/// the assemblies that must never ship in it (docs/architecture.md "Deployables").
/// </summary>
internal sealed record Deployable(string Name, string Project, string Executable, string DefaultRid, string[] Forbidden)
{
    /// <summary>The Pi's station service: readers, ledger, uplink, roles — no cloud and no emulation.</summary>
    public static readonly Deployable Terminal = new(
        "terminal",
        Path.Combine("terminal-host", "Maebashi.Edge.Terminal.Service", "Maebashi.Edge.Terminal.Service.csproj"),
        "maebashi-terminal",
        "linux-arm64",
        ["Maebashi.Edge.Ingest", "Maebashi.Edge.Broker", "Maebashi.Edge.Demo", "Maebashi.Edge.Emulation", "Maebashi.Edge.Terminal.Emulation",
         "Maebashi.Edge.Firmware.Simulator", "Maebashi.Edge.Bench", "Maebashi.Edge.TestSupport", "Tests", "MQTTnet.Server"]);

    /// <summary>The cloud ingest: broker, pipeline, store, API — no readers, terminal or emulation.</summary>
    public static readonly Deployable Ingest = new(
        "ingest",
        Path.Combine("cloud-ingest", "Maebashi.Edge.Ingest.Service", "Maebashi.Edge.Ingest.Service.csproj"),
        "maebashi-ingest",
        "linux-x64",
        ["Maebashi.Edge.Readers", "Maebashi.Edge.Emulation", "Maebashi.Edge.Terminal", "Iot.Device.Bindings", "System.Device.Gpio",
         "Maebashi.Edge.Demo", "Maebashi.Edge.Firmware", "Maebashi.Edge.ValidatorLink", "Maebashi.Edge.Bench", "Maebashi.Edge.TestSupport", "Tests"]);

    public static readonly Deployable[] All = [Terminal, Ingest];

    /// <summary>Whether an assembly file name (without extension) is one this deployable must not carry.</summary>
    public bool Forbids(string assemblyName) =>
        Forbidden.Any(f => f == "Tests"
            ? assemblyName.EndsWith(".Tests", StringComparison.Ordinal)
            : assemblyName == f || assemblyName.StartsWith(f + ".", StringComparison.Ordinal));
}
