using System.Globalization;

namespace Maebashi.Edge.Ingest.Http;

/// <summary>
/// A person's trips a page at a time, whole service days, newest first (<see cref="Store.IIngestStore.TripsPage"/>):
/// the cursor is a service day, the previous page's oldest; the API, the console and My Page name it alike.
/// </summary>
public static class TripPaging
{
    /// <summary>The query parameter carrying the cursor (absent: the newest page).</summary>
    public const string Parameter = "tripsBefore";

    /// <summary>The message a bad cursor gets on a page (400).</summary>
    public const string BadCursorMessage = "乗車のページ指定（tripsBefore）は営業日 YYYY-MM-DD です / The page of trips (tripsBefore) is a service day, YYYY-MM-DD";

    /// <summary>Parses the cursor: absent is the newest page (null); false when it is not a day.</summary>
    public static bool TryParse(string? raw, out DateOnly? before)
    {
        before = null;
        if (raw is null)
        {
            return true;
        }

        if (raw.Length == 10 && DateOnly.TryParseExact(raw, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out DateOnly day))
        {
            before = day;
            return true;
        }

        return false;
    }

    /// <summary>The cursor as a link carries it.</summary>
    public static string Format(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
