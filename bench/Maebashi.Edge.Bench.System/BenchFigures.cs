using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Maebashi.Edge.Bench.WholeSystem;

/// <summary>The arithmetic and formats of the benchmark report: percentiles and the JSON line (memory: <see cref="Maebashi.Edge.TestSupport.ProcStatus"/>).</summary>
public static class BenchFigures
{
    /// <summary>Nearest-rank percentile (p in 0..1) of samples; they need not be sorted. NaN when there are none.</summary>
    public static double Percentile(IReadOnlyCollection<double> samples, double p)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(p, 0.0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(p, 1.0);
        if (samples.Count == 0)
        {
            return double.NaN;
        }

        double[] sorted = [.. samples];
        Array.Sort(sorted);
        int rank = (int)Math.Ceiling(p * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    /// <summary>One JSON object on one line, in the order given; numbers invariant, NaN and infinities as null.</summary>
    public static string JsonLine(IEnumerable<KeyValuePair<string, double>> figures)
    {
        var sb = new StringBuilder("{");
        bool first = true;
        foreach ((string key, double value) in figures)
        {
            if (!first)
            {
                sb.Append(',');
            }

            first = false;
            sb.Append(JsonSerializer.Serialize(key)).Append(':');
            sb.Append(double.IsFinite(value) ? Math.Round(value, 3).ToString("R", CultureInfo.InvariantCulture) : "null");
        }

        return sb.Append('}').ToString();
    }

    /// <summary>
    /// The numbers of a harness's JSON line (its last line starting with '{'); other values are
    /// skipped. Empty when there is no such line or it is not JSON.
    /// </summary>
    public static Dictionary<string, double> NumbersOfLastJsonLine(IEnumerable<string> lines)
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        string? last = lines.LastOrDefault(l => l.TrimStart().StartsWith('{'));
        if (last is null)
        {
            return result;
        }

        try
        {
            using JsonDocument doc = JsonDocument.Parse(last);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                return result;
            }

            foreach (JsonProperty p in doc.RootElement.EnumerateObject())
            {
                if (p.Value.ValueKind == JsonValueKind.Number)
                {
                    result[p.Name] = p.Value.GetDouble();
                }
            }
        }
        catch (JsonException)
        {
            result.Clear();
        }

        return result;
    }
}
