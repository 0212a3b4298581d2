namespace Maebashi.Edge.Architecture.Tests;

/// <summary>
/// ./maebashi-edge builds only the verb group it runs (a terminal or an ingest started through it loads none of the
/// other programs' assemblies): every verb its help lists must still be reachable and described on its own.
/// </summary>
[Trait("Category", "Architecture")]
public sealed class CliVerbTests
{
    private static IReadOnlyList<string> ListedVerbs()
    {
        ProcessResult help = EdgeCli.Run("--help");
        Assert.Equal(0, help.Exit);
        string[] lines = help.Out.Split('\n');
        int start = Array.FindIndex(lines, l => l.TrimEnd() == "Commands:");
        Assert.True(start >= 0, "no Commands: section in\n" + help.Out);
        return [.. lines.Skip(start + 1).TakeWhile(l => l.StartsWith("  ", StringComparison.Ordinal)).Select(l => l.Trim().Split(' ')[0])];
    }

    [Fact]
    public void Every_verb_the_help_lists_runs_its_own_help_when_named_first()
    {
        IReadOnlyList<string> verbs = ListedVerbs();
        Assert.Contains("terminal", verbs);
        Assert.Contains("ingest", verbs);
        foreach (string verb in verbs)
        {
            ProcessResult help = EdgeCli.Run(verb, "--help");
            Assert.True(help.Exit == 0, $"{verb} --help: exit {help.Exit}: {help.Err}");
            Assert.Contains($"maebashi-edge {verb}", help.Out, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_mistyped_verb_is_refused_with_a_suggestion_from_the_whole_tree()
    {
        ProcessResult run = EdgeCli.Run("terminl", "run");
        Assert.NotEqual(0, run.Exit);
        Assert.Contains("terminal", run.Err + run.Out, StringComparison.Ordinal);
    }
}
