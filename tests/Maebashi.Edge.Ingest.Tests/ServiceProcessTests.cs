using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>
/// The deployable <c>maebashi-ingest run</c> as scripts and systemd see it: only the machine-readable lines on
/// stdout, an API that answers, and a clean stop with exit 0 on SIGTERM.
/// </summary>
[Trait("Category", "Architecture")]
public sealed partial class ServiceProcessTests
{
    [Fact]
    public async Task Run_prints_only_its_machine_readable_lines_serves_and_stops_cleanly_on_sigterm()
    {
        string data = Path.Combine(TestKit.TempDir(), "data");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { Path.Combine(AppContext.BaseDirectory, "maebashi-ingest.dll"), "run", "--registry", SharedFixtures.RegistryPath, "--data", data, "--mqtt-port", "0", "--http-port", "0" })
        {
            psi.ArgumentList.Add(a);
        }

        using Process p = Process.Start(psi)!;
        try
        {
            Task<string> stderr = p.StandardError.ReadToEndAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            string ports = await p.StandardOutput.ReadLineAsync(cts.Token) ?? throw new InvalidOperationException("no output: " + await stderr);
            string token = await p.StandardOutput.ReadLineAsync(cts.Token) ?? "";

            Match m = PortsLine().Match(ports);
            Assert.True(m.Success, ports);
            Assert.Equal(data, m.Groups["data"].Value);
            Assert.Matches(TokenLine(), token);

            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{m.Groups["http"].Value}") };
            using var req = new HttpRequestMessage(HttpMethod.Get, "/api/v1/devices");
            req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token["admin-token=".Length..]);
            using HttpResponseMessage devices = await http.SendAsync(req);
            Assert.Equal(200, (int)devices.StatusCode);

            using (Process kill = Process.Start("kill", ["-TERM", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync(cts.Token);
            }

            string rest = await p.StandardOutput.ReadToEndAsync(cts.Token);
            await p.WaitForExitAsync(cts.Token);
            Assert.Equal(0, p.ExitCode);
            Assert.Equal("", rest);

            // The logs went to stderr, as JSON lines.
            Assert.All((await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries), l => Assert.StartsWith("{", l, StringComparison.Ordinal));
        }
        finally
        {
            if (!p.HasExited)
            {
                p.Kill();
            }
        }
    }

    [GeneratedRegex(@"^mqtt-port=(?<mqtt>[1-9][0-9]*) http-port=(?<http>[1-9][0-9]*) data=(?<data>.+)$")]
    private static partial Regex PortsLine();

    [GeneratedRegex(@"^admin-token=[A-Za-z0-9_-]{32}$")]
    private static partial Regex TokenLine();
}
