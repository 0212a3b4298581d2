using System.Text.RegularExpressions;

namespace Maebashi.Edge.Architecture.Tests;

/// <summary>
/// LiteDB's <c>Query.EQ</c>, <c>Query.Between</c> and the like put the value into the expression's text, which LiteDB
/// compiles into a delegate and keeps for good: used with a person's id or a day, every tap paid for a compile and the
/// cache grew with the age of the store (docs/benchmarks.md). Product code builds its predicates with parameters
/// (<c>LiteDbQuery</c>); this finds a value-carrying builder before a benchmark does.
/// </summary>
[Trait("Category", "Architecture")]
public partial class LiteDbQueryTests
{
    [GeneratedRegex(@"(?<![\w.])Query\.(EQ|Between|GT|GTE|LT|LTE|Not|In|StartsWith|EndsWith|Contains|And|Or)\s*\(")]
    private static partial Regex ValueInText();

    [Fact]
    public void No_product_code_writes_a_value_into_a_LiteDB_expression()
    {
        string sep = Path.DirectorySeparatorChar.ToString();
        string[] product = ["cloud-ingest", "terminal-host", "contract", "cli", "firmware", "hardware"];
        List<string> found =
        [
            .. product.Select(p => Path.Combine(Repository.Root, p)).Where(Directory.Exists)
                .SelectMany(d => Directory.EnumerateFiles(d, "*.cs", SearchOption.AllDirectories))
                .Where(f => !f.Contains(sep + "obj" + sep, StringComparison.Ordinal) && !f.Contains(sep + "bin" + sep, StringComparison.Ordinal))
                .SelectMany(f => File.ReadLines(f).Select((line, i) => (f, i, line)))
                .Where(x => ValueInText().IsMatch(x.line))
                .Select(x => $"{Path.GetRelativePath(Repository.Root, x.f)}:{x.i + 1}: {x.line.Trim()}"),
        ];
        Assert.True(found.Count == 0, "LiteDB queries with the value in the text (use LiteDbQuery):\n" + string.Join("\n", found));
    }
}
