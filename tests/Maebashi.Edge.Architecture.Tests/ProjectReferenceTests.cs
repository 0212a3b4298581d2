using System.Xml.Linq;

namespace Maebashi.Edge.Architecture.Tests;

/// <summary>
/// Which project may reference which (docs/architecture.md): a deployable carries only what it runs, so a
/// reference that would pull emulation into the Pi or readers into the cloud fails here, before a publish.
/// </summary>
[Trait("Category", "Architecture")]
public class ProjectReferenceTests
{
    private static readonly Dictionary<string, string> Projects = Directory
        .EnumerateFiles(Repository.Root, "*.csproj", SearchOption.AllDirectories)
        .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
        .ToDictionary(p => Path.GetFileNameWithoutExtension(p), p => p);

    /// <summary>Every project <paramref name="project"/> references, directly or through another.</summary>
    private static HashSet<string> Closure(string project)
    {
        var seen = new HashSet<string>();
        var pending = new Stack<string>([Projects[project]]);
        while (pending.Count > 0)
        {
            string path = pending.Pop();
            foreach (XElement r in XDocument.Load(path).Descendants("ProjectReference"))
            {
                string target = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, r.Attribute("Include")!.Value.Replace('\\', Path.DirectorySeparatorChar)));
                if (seen.Add(Path.GetFileNameWithoutExtension(target)))
                {
                    pending.Push(target);
                }
            }
        }

        return seen;
    }

    private static HashSet<string> Packages(string project)
    {
        var packages = new HashSet<string>();
        foreach (string p in Closure(project).Select(n => Projects[n]).Append(Projects[project]))
        {
            foreach (XElement r in XDocument.Load(p).Descendants("PackageReference"))
            {
                packages.Add(r.Attribute("Include")!.Value);
            }
        }

        return packages;
    }

    [Theory]
    [InlineData("Maebashi.Edge.Terminal")]
    [InlineData("Maebashi.Edge.Terminal.Service")]
    public void The_terminal_references_no_cloud_emulation_or_demo_project(string project)
    {
        HashSet<string> closure = Closure(project);
        Assert.DoesNotContain(closure, n => n.StartsWith("Maebashi.Edge.Ingest", StringComparison.Ordinal)
            || n is "Maebashi.Edge.Broker" or "Maebashi.Edge.Demo" or "Maebashi.Edge.Emulation" or "Maebashi.Edge.Terminal.Emulation"
                or "Maebashi.Edge.Firmware.Simulator" or "Maebashi.Edge.TestSupport");
    }

    [Fact]
    public void The_ingest_service_references_no_reader_terminal_or_emulation_project()
    {
        HashSet<string> closure = Closure("Maebashi.Edge.Ingest.Service");
        Assert.Contains("Maebashi.Edge.Ingest", closure);
        Assert.DoesNotContain(closure, n => n.StartsWith("Maebashi.Edge.Terminal", StringComparison.Ordinal)
            || n is "Maebashi.Edge.Readers" or "Maebashi.Edge.Emulation" or "Maebashi.Edge.ValidatorLink" or "Maebashi.Edge.Demo"
                or "Maebashi.Edge.Firmware.Core" or "Maebashi.Edge.Firmware.Simulator" or "Maebashi.Edge.TestSupport");
        Assert.DoesNotContain("Iot.Device.Bindings", Packages("Maebashi.Edge.Ingest.Service"));
    }

    [Fact]
    public void The_contract_references_no_other_project()
    {
        Assert.Empty(Closure("Maebashi.Edge.Contract"));
    }

    [Theory]
    [InlineData("Maebashi.Edge.Terminal.Service")]
    [InlineData("Maebashi.Edge.Ingest.Service")]
    [InlineData("Maebashi.Edge.Cli")]
    public void No_program_references_a_test_or_bench_project(string program)
    {
        Assert.DoesNotContain(Closure(program), n => n.EndsWith(".Tests", StringComparison.Ordinal) || n.Contains(".Bench", StringComparison.Ordinal));
    }
}
