using System.Text.Json;

namespace Maebashi.Edge.TestSupport;

/// <summary>
/// The sample registry and known-answer vectors every test project shares, in the repository's own
/// <c>fixtures/</c> folder, so a clone with nothing beside it tests itself.
/// </summary>
internal static class SharedFixtures
{
    /// <summary>The folder holding <c>Maebashi.Edge.sln</c>, found upwards from the test assembly.</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string Directory => Path.Combine(RepositoryRoot, "fixtures");

    public static string RegistryPath => Path.Combine(Directory, "registry.sample.json");
    public static string VectorsPath => Path.Combine(Directory, "vectors.sample.json");

    public static JsonElement Vectors()
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(VectorsPath));
        return doc.RootElement.Clone();
    }

    private static string FindRepositoryRoot()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "Maebashi.Edge.sln")))
            {
                return d.FullName;
            }
        }

        throw new DirectoryNotFoundException("no Maebashi.Edge.sln above " + AppContext.BaseDirectory);
    }
}
