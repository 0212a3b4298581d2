using System.Text;
using System.Text.Json;

namespace Maebashi.Edge.Contract.Tests;

/// <summary>
/// A clone with nothing beside it builds, tests and runs: no file points at a folder outside the
/// repository, and the fixtures the tests load are the repository's own.
/// </summary>
[Trait("Category", "Architecture")]
public class StandaloneRepositoryTests
{
    /// <summary>Build output and git's own store: neither is a tracked file.</summary>
    private static readonly HashSet<string> UntrackedFolders = new(StringComparer.Ordinal)
    {
        ".git", "bin", "obj", ".build", "TestResults", "BenchmarkDotNet.Artifacts", "artifacts",
    };

    /// <summary>Built from parts so that this file does not contain what it looks for.</summary>
    private static readonly byte[] OutsidePath = Encoding.ASCII.GetBytes(string.Concat("..", "/", "shared"));

    [Fact]
    public void No_file_in_the_repository_points_at_a_shared_folder_beside_it()
    {
        List<string> offenders = [];
        foreach (string file in RepositoryFiles(SharedFixtures.RepositoryRoot))
        {
            if (File.ReadAllBytes(file).AsSpan().IndexOf(OutsidePath) >= 0)
            {
                offenders.Add(Path.GetRelativePath(SharedFixtures.RepositoryRoot, file));
            }
        }

        Assert.True(offenders.Count == 0, "these files point outside the repository: " + string.Join(", ", offenders));
    }

    [Fact]
    public void The_fixtures_are_the_repository_s_own_and_hold_known_answer_vectors()
    {
        string fixtures = Path.Combine(SharedFixtures.RepositoryRoot, "fixtures");
        Assert.Equal(fixtures, SharedFixtures.Directory);
        Assert.True(File.Exists(SharedFixtures.RegistryPath), SharedFixtures.RegistryPath);
        Assert.True(File.Exists(SharedFixtures.VectorsPath), SharedFixtures.VectorsPath);

        // IdentityVectorTests reproduces every vector; here only that each kind is present to reproduce.
        JsonElement vectors = SharedFixtures.Vectors();
        foreach (string kind in new[] { "tokens", "sectorIds", "mac", "mqttPasswords" })
        {
            Assert.True(vectors.GetProperty(kind).GetArrayLength() > 0, kind);
        }
    }

    private static IEnumerable<string> RepositoryFiles(string root)
    {
        var pending = new Stack<string>([root]);
        while (pending.TryPop(out string? dir))
        {
            foreach (string file in Directory.EnumerateFiles(dir))
            {
                yield return file;
            }

            foreach (string sub in Directory.EnumerateDirectories(dir))
            {
                if (!UntrackedFolders.Contains(Path.GetFileName(sub)))
                {
                    pending.Push(sub);
                }
            }
        }
    }
}
