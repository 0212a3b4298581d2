using System.Globalization;

namespace Maebashi.Edge.TestSupport;

/// <summary>A process's memory as the kernel reports it in /proc/PID/status, in MiB: what the benchmarks record.</summary>
public static class ProcStatus
{
    /// <summary>
    /// A memory line of /proc/PID/status (<c>VmRSS</c>, <c>VmHWM</c>…) in MiB, or null when the text
    /// has no such line. The kernel writes them as <c>VmRSS:   123456 kB</c>.
    /// </summary>
    public static double? Mb(string statusText, string key)
    {
        foreach (string line in statusText.Split('\n'))
        {
            if (!line.StartsWith(key + ":", StringComparison.Ordinal))
            {
                continue;
            }

            string[] parts = line[(key.Length + 1)..].Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2 && parts[1] == "kB" && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out long kb))
            {
                return kb / 1024.0;
            }
        }

        return null;
    }

    /// <summary>A live process's memory line (see <see cref="Mb"/>), or null when it has exited.</summary>
    public static double? Of(int pid, string key)
    {
        try
        {
            return Mb(File.ReadAllText($"/proc/{pid}/status"), key);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
