using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;

namespace Maebashi.Edge.Bench.Ingest;

/// <summary>
/// The console's pages as an operator's browser asks for them, on the store the bench filled: signed in with the
/// console's form (cookie and antiforgery token), each page asked for repeatedly on loopback. The round trip is an
/// upper bound of the server's time. CSV exports are left out (they stream).
/// </summary>
internal static partial class ConsolePagesBench
{
    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    /// <summary>Each page's samples in milliseconds, after <paramref name="warmups"/> untimed asks of each.</summary>
    public static async Task<Dictionary<string, List<double>>> MeasureAsync(int httpPort, string name, string password, IReadOnlyList<string> pages, int rounds, int warmups)
    {
        using HttpClient http = await SignInAsync(httpPort, name, password);
        var samples = pages.ToDictionary(p => p, _ => new List<double>(rounds));
        for (int round = -warmups; round < rounds; round++)
        {
            foreach (string page in pages)
            {
                long started = Stopwatch.GetTimestamp();
                using HttpResponseMessage response = await http.GetAsync(page, HttpCompletionOption.ResponseContentRead);
                double ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (!response.IsSuccessStatusCode)
                {
                    throw new InvalidOperationException($"{page} answered {(int)response.StatusCode}");
                }

                if (round >= 0)
                {
                    samples[page].Add(ms);
                }
            }
        }

        return samples;
    }

    /// <summary>A browser's session: the console's sign-in form sent with its antiforgery token, the cookie kept.</summary>
    public static async Task<HttpClient> SignInAsync(int httpPort, string name, string password)
    {
        var http = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }, disposeHandler: true)
        {
            BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"),
        };
        string form = await http.GetStringAsync("/console/signin");
        string token = AntiforgeryField().Match(form).Groups[1].Value;
        using HttpResponseMessage signedIn = await http.PostAsync("/console/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["name"] = name,
            ["password"] = password,
            ["__RequestVerificationToken"] = token,
        }));
        if (signedIn.StatusCode != HttpStatusCode.Redirect)
        {
            http.Dispose();
            throw new InvalidOperationException($"console sign-in answered {(int)signedIn.StatusCode}");
        }

        return http;
    }

    public static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
    }
}
