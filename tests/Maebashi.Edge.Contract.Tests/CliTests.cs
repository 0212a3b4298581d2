using System.Text.Json.Nodes;

namespace Maebashi.Edge.Contract.Tests;

/// <summary>The technicians' verbs, run as the program a technician runs.</summary>
[Trait("Category", "Contract")]
public class CliTests
{
    [Fact]
    public void Token_prints_the_token_alone_on_a_line()
    {
        (int exit, string output, _) = EdgeCli.Run("token", "--tech", "iso14443a", "--uid", "04A1B2C3D4E5F6", "--registry", SharedFixtures.RegistryPath);
        Assert.Equal(0, exit);
        Assert.Equal("fYLPTEcc3V8cNDIWtme8Bw\n", output);
    }

    [Fact]
    public void Sector_id_prints_the_sector_id_alone_on_a_line()
    {
        (int exit, string output, _) = EdgeCli.Run("sector-id", "--pid", "P0003", "--sector", "clinic:C02", "--registry", SharedFixtures.RegistryPath);
        Assert.Equal(0, exit);
        Assert.Equal("N3DH3KN2H6TPCQWB\n", output);
    }

    [Fact]
    public void Verbs_read_the_keys_of_the_file_given()
    {
        JsonObject doc = RegistryTests.Sample();
        doc["keys"]!["regionKey"] = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";
        doc["keys"]!["linkKey"] = "0123456789abcdef0123456789abcdef";
        string path = Path.Combine(Path.GetTempPath(), $"registry-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, doc.ToJsonString());
        try
        {
            string tok = EdgeCli.Run("token", "--tech", "iso14443a", "--uid", "04A1B2C3D4E5F6", "--registry", path).Out.Trim();
            string sid = EdgeCli.Run("sector-id", "--pid", "P0001", "--sector", "transport", "--registry", path).Out.Trim();
            Assert.Equal(Identity.CardToken.Compute(Convert.FromHexString("ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"), Identity.CardTech.Iso14443A, "04A1B2C3D4E5F6"), tok);
            Assert.Equal(Identity.SectorId.Compute(Convert.FromHexString("0123456789abcdef0123456789abcdef"), "P0001", "transport"), sid);
            Assert.NotEqual("fYLPTEcc3V8cNDIWtme8Bw", tok);
            Assert.NotEqual("NEYE3FXKYXMQ33HM", sid);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Bad_arguments_say_what_is_wrong_and_exit_2()
    {
        (int exit, _, string err) = EdgeCli.Run("token", "--tech", "barcode", "--uid", "04A1B2C3D4E5F6", "--registry", SharedFixtures.RegistryPath);
        Assert.Equal(2, exit);
        Assert.Contains("--tech: unknown card tech 'barcode'", err, StringComparison.Ordinal);

        (exit, _, err) = EdgeCli.Run("token", "--tech", "felica", "--uid", "0101", "--registry", SharedFixtures.RegistryPath);
        Assert.Equal(2, exit);
        Assert.Contains("FeliCa IDm has 8 bytes", err, StringComparison.Ordinal);

        (exit, _, err) = EdgeCli.Run("sector-id", "--pid", "P0001", "--sector", "hospital", "--registry", SharedFixtures.RegistryPath);
        Assert.Equal(2, exit);
        Assert.Contains("unknown sector 'hospital'", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Registry_check_summarises_the_sample_and_exits_0()
    {
        (int exit, string output, _) = EdgeCli.Run("registry", "check", SharedFixtures.RegistryPath);
        Assert.Equal(0, exit);
        Assert.Contains("persons  7", output, StringComparison.Ordinal);
        Assert.Contains("cards    9 (1 lost)", output, StringComparison.Ordinal);
        Assert.Contains("devices  4 (2 bus, 1 clinic, 1 event)", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Registry_check_lists_every_problem_and_exits_1()
    {
        JsonObject doc = RegistryTests.Sample();
        RegistryTests.Apply(doc, """persons[1] = {"pid":"P0001","birthDate":"2000-01-01"}""");
        RegistryTests.Apply(doc, """cards[0].pid = "P9999" """);
        RegistryTests.Apply(doc, """cards[2].uid = "XYZ0" """);
        RegistryTests.Apply(doc, """cards[3].tech = "barcode" """);
        RegistryTests.Apply(doc, """cards[4] = {"uid":"CAFEBABE","tech":"iso14443a","pid":"P0005"}""");
        RegistryTests.Apply(doc, """routes[0].stops[0] = {"id":"S01"}""");
        RegistryTests.Apply(doc, """events[1].end = "2026-11-30T07:00:00+09:00" """);
        RegistryTests.Apply(doc, """devices[1].role = "kiosk" """);
        string path = Path.Combine(Path.GetTempPath(), $"registry-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, doc.ToJsonString());
        try
        {
            (int exit, string output, _) = EdgeCli.Run("registry", "check", path);
            Assert.Equal(1, exit);
            Assert.Contains("persons[1] (pid P0001).pid: duplicate pid", output, StringComparison.Ordinal);
            Assert.Contains("cards[0].pid: unknown pid 'P9999'", output, StringComparison.Ordinal);
            Assert.Contains("cards[2].uid: bad hex", output, StringComparison.Ordinal);
            Assert.Contains("cards[3].tech: unknown tech 'barcode'", output, StringComparison.Ordinal);
            Assert.Contains("duplicate card: same tech and uid as cards[4]", output, StringComparison.Ordinal);
            Assert.Contains("routes[0] (id R01).stops[0].zone", output, StringComparison.Ordinal);
            Assert.Contains("events[1] (id E-WALK-1130).end: event ends", output, StringComparison.Ordinal);
            Assert.Contains("devices[1] (id BUS0043).role: unknown role 'kiosk'", output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
