using System.CommandLine;
using Maebashi.Edge.Cli;

RootCommand root = CommandTree.Build();
return await root.Parse(args).InvokeAsync();
