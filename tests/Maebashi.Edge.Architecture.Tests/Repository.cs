namespace Maebashi.Edge.Architecture.Tests;

/// <summary>The clone these tests were built from.</summary>
internal static class Repository
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "Maebashi.Edge.sln")))
            {
                return d.FullName;
            }
        }

        throw new DirectoryNotFoundException("Maebashi.Edge.sln not found above " + AppContext.BaseDirectory);
    }
}
