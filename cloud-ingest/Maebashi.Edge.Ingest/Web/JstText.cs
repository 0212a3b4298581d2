using System.Globalization;

namespace Maebashi.Edge.Ingest.Web;

/// <summary>Times on the console's pages: Japan Standard Time, ISO-like, whatever the server's zone.</summary>
public static class JstText
{
    public static readonly TimeSpan Offset = TimeSpan.FromHours(9);

    public static string Time(DateTimeOffset at) => at.ToOffset(Offset).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    public static string Clock(DateTimeOffset at) => at.ToOffset(Offset).ToString("HH:mm:ss", CultureInfo.InvariantCulture);

    public static DateOnly Today(TimeProvider time) => DateOnly.FromDateTime(time.GetUtcNow().ToOffset(Offset).DateTime);

    public static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static DateOnly? ParseDay(string raw) =>
        DateOnly.TryParseExact(raw, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out DateOnly day) ? day : null;
}
