using System.CommandLine;
using Maebashi.Edge.Cli;

RootCommand root = CommandTree.Build(args.Length > 0 ? args[0] : null);
return await root.Parse(args).InvokeAsync();
