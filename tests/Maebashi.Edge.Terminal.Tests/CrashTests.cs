using System.Globalization;
using System.Text.Json.Nodes;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Terminal.Ledger;

namespace Maebashi.Edge.Terminal.Tests;

/// <summary>kill -9 of the real service process in the middle of a burst of taps.</summary>
[Trait("Category", "Terminal")]
[Trait("Category", "Fault")]
public class CrashTests
{
    internal static string WriteConfig(TestSite site)
    {
        var cfg = new JsonObject
        {
            ["DeviceId"] = site.Options.DeviceId,
            ["Role"] = site.Options.Role,
            ["StateDirectory"] = "state",
            ["DeviceKeyFile"] = "device.key",
            ["RegionKeyFile"] = "region.key",
            ["Broker"] = new JsonObject { ["Host"] = "127.0.0.1", ["Port"] = 1, ["ReconnectMax"] = "00:00:02" },
            ["Readers"] = new JsonArray
            {
                new JsonObject { ["Name"] = "rear", ["Driver"] = "injected", ["Door"] = "rear", ["Tap"] = "board" },
                new JsonObject { ["Name"] = "front", ["Driver"] = "injected", ["Door"] = "front", ["Tap"] = "alight" },
            },
        };
        string path = Path.Combine(site.Directory, "terminal.json");
        File.WriteAllText(path, cfg.ToJsonString());
        return path;
    }

    private static string Uid(int i) => "04" + i.ToString("X12", CultureInfo.InvariantCulture);

    [Fact]
    public async Task Kill_9_during_a_burst_loses_no_shown_tap_and_reuses_no_sequence_number()
    {
        using var site = new TestSite();
        string config = WriteConfig(site);
        string state = Path.Combine(site.Directory, "state");
        var shown = new Dictionary<ulong, string>(); // seq → uid whose feedback was shown

        using (ChildProcess service = await EdgeCli.StartTerminalAsync(config))
        using (var control = new ControlClient(state))
        {
            Assert.StartsWith("ok", await control.SendAsync("at R01 S01"), StringComparison.Ordinal);
            const int Burst = 3000;
            Task writer = Task.Run(async () =>
            {
                try
                {
                    for (int i = 0; i < Burst; i++)
                    {
                        await control.WriteAsync($"tap iso14443a {Uid(i)} rear");
                    }
                }
                catch (IOException)
                {
                    // The process died under the writer: expected.
                }
            });

            for (int i = 0; i < Burst; i++)
            {
                string? line;
                try
                {
                    line = await control.ReadAsync();
                }
                catch (IOException)
                {
                    break;
                }

                if (line is null)
                {
                    break;
                }

                Assert.StartsWith("ok accept seq=", line, StringComparison.Ordinal);
                shown[ulong.Parse(line.Split(' ')[2][4..], CultureInfo.InvariantCulture)] = Uid(i);
                if (i == 150)
                {
                    service.KillHard(); // answers already in the socket are still read: they were shown
                }
            }

            await writer;
        }

        Assert.True(shown.Count > 150, $"{shown.Count} taps answered before the kill");
        Assert.True(shown.Count < 3000, "the kill came during the burst");

        // Restart: the burst's taps are all there; new taps get new numbers.
        var after = new List<ulong>();
        using (ChildProcess service = await EdgeCli.StartTerminalAsync(config))
        using (var control = new ControlClient(state))
        {
            await control.SendAsync("at R01 S01");
            for (int i = 0; i < 5; i++)
            {
                string line = await control.SendAsync($"tap iso14443a {Uid(10_000 + i)} rear");
                after.Add(ulong.Parse(line.Split(' ')[2][4..], CultureInfo.InvariantCulture));
            }

            service.KillHard();
        }

        using var ledger = TapLedger.Open(new FileLedgerStorage(state), new LedgerOptions { SeqFloorFromClock = false });
        var kept = ledger.Records(false).ToDictionary(r => r.Event.Seq);
        foreach ((ulong seq, string uid) in shown)
        {
            Assert.True(kept.TryGetValue(seq, out LedgerRecord? r), $"tap {seq} was shown before the kill and is lost");
            Assert.Equal(TestSite.Token(CardTech.Iso14443A, uid), r!.Event.Card!.Tok);
        }

        ulong before = kept.Keys.Where(k => !after.Contains(k)).Max();
        Assert.All(after, s => Assert.True(s > before, $"sequence number {s} reused (before the restart up to {before})"));
        Assert.Equal(after.Count, after.Distinct().Count());
        Assert.Empty(ledger.Verify());
    }
}
