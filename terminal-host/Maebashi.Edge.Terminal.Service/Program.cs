using System.CommandLine;
using Maebashi.Edge.Terminal.Commands;

// The Pi's program: the same verbs as `maebashi-edge terminal …` / `ledger …`, defined once in
// TerminalCommandSet, at the top level and with only the hardware reader drivers.
var root = new RootCommand("maebashi-terminal — the station service of a Maebashi Edge terminal and its technician's verbs");
new TerminalCommandSet("maebashi-terminal").AddVerbsTo(root);
return await root.Parse(args).InvokeAsync();
