using System.Text.Json;

namespace Maebashi.Edge.TestSupport;

/// <summary>Finds ../shared/fixtures beside the repository (the layout of the workplace and of CI).</summary>
internal static class SharedFixtures
{
    public static string Directory { get; } = Find();

    public static string RegistryPath => Path.Combine(Directory, "registry.sample.json");
    public static string VectorsPath => Path.Combine(Directory, "vectors.sample.json");

    public static JsonElement Vectors()
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(VectorsPath));
        return doc.RootElement.Clone();
    }

    private static string Find()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            string candidate = Path.Combine(d.FullName, "shared", "fixtures");
            if (File.Exists(Path.Combine(candidate, "vectors.sample.json")))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("shared/fixtures not found above " + AppContext.BaseDirectory);
    }
}
