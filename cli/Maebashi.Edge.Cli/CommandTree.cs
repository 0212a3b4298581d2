using System.CommandLine;

namespace Maebashi.Edge.Cli;

/// <summary>Every verb of ./maebashi-edge, one group per file.</summary>
internal static class CommandTree
{
    public static RootCommand Build()
    {
        var root = new RootCommand("Maebashi Edge — city common-ID card terminals and ingest (前橋 共通IDカード)");
        IdentityCommands.AddTo(root);
        RegistryCommands.AddTo(root);
        BrokerCommands.AddTo(root);
        IngestCommands.AddTo(root);
        OperatorCommands.AddTo(root);
        ReadCommands.AddTo(root);
        ValidatorCommands.AddTo(root);
        TerminalCommands.AddTo(root);
        DemoCommands.AddTo(root);
        BenchCommands.AddTo(root);
        PublishCommands.AddTo(root);
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
