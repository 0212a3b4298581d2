namespace Maebashi.Edge.TestSupport;

/// <summary>
/// The <c>Environment=</c> lines of a systemd unit, as systemd sets them for the service: what the benchmarks start a
/// service's process with, so that its memory is measured with the settings it is deployed with.
/// </summary>
public static class UnitFileEnvironment
{
    public static Dictionary<string, string> Read(string unitFile)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in File.ReadLines(unitFile))
        {
            if (line.StartsWith("Environment=", StringComparison.Ordinal) && line["Environment=".Length..].Split('=', 2) is [string name, string value])
            {
                environment[name] = value.Trim();
            }
        }

        return environment;
    }
}
