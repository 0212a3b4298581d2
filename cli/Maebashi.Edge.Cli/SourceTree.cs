namespace Maebashi.Edge.Cli;

/// <summary>The clone this program was built from: verbs that build (bench, publish) work on its sources.</summary>
internal static class SourceTree
{
    /// <summary>The folder holding Maebashi.Edge.sln above <paramref name="start"/>, or null outside a clone.</summary>
    public static string? Find(string start)
    {
        for (DirectoryInfo? d = new(start); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "Maebashi.Edge.sln")))
            {
                return d.FullName;
            }
        }

        return null;
    }
}
