using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Maebashi.Edge.Ingest.Web;

/// <summary>Page links of a console list: the page shown, how many there are, and the link to each.</summary>
public sealed record Pager(int Page, int PageCount, long Total, Func<int, string> Href)
{
    /// <summary>Rows on one page of every console list: a screenful, and bounded whatever a link asks for.</summary>
    public const int PageSize = 50;

    /// <summary>The query parameter naming the page (<c>page</c> is Razor Pages' own route value).</summary>
    public const string Parameter = "p";

    /// <summary>A page number from the query: absent is the first page; null when it is not a whole number from 1.</summary>
    public static int? Parse(string? raw) =>
        raw is null ? 1
        : int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out int page) && page >= 1 ? page
        : null;

    /// <summary>The pager for <paramref name="total"/> rows; a page past the last shows the last.</summary>
    public static Pager For(int requested, long total, string path, IEnumerable<KeyValuePair<string, string?>> filters)
    {
        int count = (int)Math.Max(1, (total + PageSize - 1) / PageSize);
        KeyValuePair<string, string?>[] kept = [.. filters.Where(f => !string.IsNullOrEmpty(f.Value))];
        return new Pager(Math.Min(requested, count), count, total, p =>
            path + QueryString.Create(kept.Append(new(Parameter, p.ToString(CultureInfo.InvariantCulture)))).ToUriComponent());
    }

    public int Skip => (Page - 1) * PageSize;

    /// <summary>The message a page number out of bounds gets (400).</summary>
    public const string BadPageMessage = "ページ番号は1以上の整数です / The page number (p) is a whole number from 1";
}
