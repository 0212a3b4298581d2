using System.CommandLine;
using Maebashi.Edge.Terminal.Commands;
using Maebashi.Edge.Terminal.Emulation;

namespace Maebashi.Edge.Cli;

/// <summary>
/// <c>terminal run|doctor|provision</c> and <c>ledger show|export</c>: the same verbs as the Pi's
/// <c>maebashi-terminal</c> (one definition, <see cref="TerminalCommandSet"/>), with the emulated
/// readers and the control socket's <c>place</c>/<c>remove</c> plugged in for the demo, tests and bench.
/// </summary>
internal static class TerminalCommands
{
    public static void AddTo(RootCommand root) =>
        new TerminalCommandSet("maebashi-edge", parts => parts.AddEmulation()).AddGroupsTo(root);
}
