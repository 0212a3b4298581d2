using System.CommandLine;

namespace Maebashi.Edge.Cli;

/// <summary>Every verb of ./maebashi-edge, one group per file.</summary>
internal static class CommandTree
{
    /// <summary>The verb groups and the top-level verbs each adds, in the order help lists them.</summary>
    private static readonly (string[] Verbs, Action<RootCommand> AddTo)[] Groups =
    [
        (["token", "sector-id"], IdentityCommands.AddTo),
        (["registry"], RegistryCommands.AddTo),
        (["broker"], BrokerCommands.AddTo),
        (["ingest"], IngestCommands.AddTo),
        (["operators"], OperatorCommands.AddTo),
        (["read"], ReadCommands.AddTo),
        (["validator"], ValidatorCommands.AddTo),
        (["terminal", "ledger"], TerminalCommands.AddTo),
        (["demo"], DemoCommands.AddTo),
        (["bench"], BenchCommands.AddTo),
        (["publish"], PublishCommands.AddTo),
        (["tls"], TlsCommands.AddTo),
    ];

    /// <summary>
    /// The tree for a run whose first argument is <paramref name="verb"/>: only that verb's group when it names one,
    /// so that a long-running verb (the terminal on a bus, the ingest) loads none of the other programs' assemblies;
    /// every group otherwise (help, a mistyped verb and its suggestions).
    /// </summary>
    public static RootCommand Build(string? verb = null)
    {
        var root = new RootCommand("Maebashi Edge — city common-ID card terminals and ingest (前橋 共通IDカード)");
        (string[] Verbs, Action<RootCommand> AddTo)[] named = [.. Groups.Where(g => g.Verbs.Contains(verb, StringComparer.Ordinal))];
        foreach ((_, Action<RootCommand> addTo) in named.Length > 0 ? named : Groups)
        {
            addTo(root);
        }

        return root;
    }
}

/// <summary>Exit codes shared by every verb.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The input was read and found wrong (e.g. a registry with problems).</summary>
    public const int Problems = 1;

    /// <summary>The verb could not run: bad arguments, unreadable file, unsupported combination.</summary>
    public const int Usage = 2;
}
