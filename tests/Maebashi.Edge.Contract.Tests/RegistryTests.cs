using System.Text;
using System.Text.Json.Nodes;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Registry;

namespace Maebashi.Edge.Contract.Tests;

[Trait("Category", "Contract")]
public class RegistryTests
{
    internal static JsonObject Sample() => JsonNode.Parse(File.ReadAllText(SharedFixtures.RegistryPath))!.AsObject();

    internal static IReadOnlyList<RegistryProblem> Problems(JsonObject doc)
    {
        var e = Assert.Throws<RegistryException>(() => RegistryLoader.Load(new MemoryStream(Encoding.UTF8.GetBytes(doc.ToJsonString())), "test.json"));
        return e.Problems;
    }

    [Fact]
    public void The_sample_loads_with_tokens_not_uids()
    {
        CityRegistry r = RegistryLoader.Load(SharedFixtures.RegistryPath);
        Assert.Equal(7, r.PersonCount);
        Assert.Equal(9, r.CardCount);
        CardEntry card = r.FindCard("fYLPTEcc3V8cNDIWtme8Bw")!;
        Assert.Equal("P0001", card.Pid);
        Assert.False(card.Lost);
        Assert.True(r.FindCard("cf_o_VTcgGDMecFAMCJ-_g")!.Lost);
        Assert.Equal(2, r.CardsOf("P0001").Count);
        Assert.True(r.FindPerson("P0004")!.HasDisability);
        Assert.Equal(500, r.Tariff.DebtLimit);
        Assert.Equal(4, r.FindRoute("R01")!.Stops.Single(s => s.Id == "S06").Zone);
    }

    public static TheoryData<string, string, string> BadRegistries() => new()
    {
        { "duplicate pid", """persons[1] = {"pid":"P0001","birthDate":"2000-01-01"}""", "persons[1] (pid P0001).pid: duplicate pid 'P0001'" },
        { "duplicate card", """cards[1] = {"uid":"04a1b2c3d4e5f6","tech":"iso14443a","pid":"P0002"}""", "cards[1].uid: duplicate card: same tech and uid as cards[0]" },
        { "card of unknown pid", """cards[0].pid = "P9999" """, "cards[0].pid: unknown pid 'P9999'" },
        { "bad hex uid", """cards[0].uid = "04ZZ" """, "cards[0].uid: bad hex" },
        { "odd hex uid", """cards[0].uid = "04A" """, "cards[0].uid: bad hex" },
        { "bad uid length", """cards[0].uid = "0102" """, "cards[0].uid: an ISO 14443A UID has 4, 7 or 10 bytes, not 2" },
        { "unknown tech", """cards[0].tech = "barcode" """, "cards[0].tech: unknown tech 'barcode'" },
        { "bad key hex", """keys.regionKey = "xyz" """, "keys.regionKey: bad hex" },
        { "zonal stop without zone", """routes[0].stops[2] = {"id":"S03","name":"県庁前"}""", "routes[0] (id R01).stops[2].zone: stop 'S03' of a zonal route has no zone" },
        { "event ending before it starts", """events[0].end = "2026-11-29T08:00:00+09:00" """, "events[0] (id E-CLEANUP-1129).end: event ends" },
        { "unknown device role", """devices[0].role = "kiosk" """, "devices[0] (id BUS0042).role: unknown role 'kiosk'" },
        { "bad birth date", """persons[0].birthDate = "14/05/1980" """, "persons[0] (pid P0001).birthDate: expected a date yyyy-MM-dd" },
        { "clinic device of unknown clinic", """devices[3].clinic = "C99" """, "devices[3] (id CLN01).clinic: unknown clinic 'C99'" },
        { "event at a non-event device", """events[0].sites[0] = "BUS0042" """, "events[0] (id E-CLEANUP-1129).sites: device 'BUS0042' has role 'bus', not event" },
    };

    [Theory]
    [MemberData(nameof(BadRegistries))]
    public void Each_kind_of_problem_is_named_with_its_entry_and_field(string what, string edit, string expected)
    {
        JsonObject doc = Sample();
        Apply(doc, edit);
        IReadOnlyList<RegistryProblem> problems = Problems(doc);
        Assert.True(problems.Any(p => p.ToString().StartsWith(expected, StringComparison.Ordinal)),
            $"{what}: expected a problem starting '{expected}', got:\n{string.Join("\n", problems)}");
    }

    [Fact]
    public void Every_problem_is_listed_not_just_the_first()
    {
        JsonObject doc = Sample();
        Apply(doc, """cards[0].pid = "P9999" """);
        Apply(doc, """cards[1].tech = "barcode" """);
        Apply(doc, """devices[0].role = "kiosk" """);
        Assert.Equal(3, Problems(doc).Count);
    }

    [Fact]
    public void Problems_never_echo_a_uid()
    {
        JsonObject doc = Sample();
        Apply(doc, """cards[1] = {"uid":"04A1B2C3D4E5F6","tech":"iso14443a","pid":"P0002"}""");
        Apply(doc, """cards[2].uid = "0101" """);
        Assert.All(Problems(doc), p => Assert.DoesNotContain("04A1B2C3D4E5F6", p.ToString(), StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void A_file_of_the_wrong_shape_is_one_problem_naming_the_path()
    {
        JsonObject doc = Sample();
        doc["persons"]![0]!["openingValue"] = "lots";
        RegistryProblem p = Assert.Single(Problems(doc));
        Assert.Contains("persons[0].openingValue", p.Entry, StringComparison.Ordinal);
    }

    [Fact]
    public void Tokens_follow_the_file_s_own_keys()
    {
        JsonObject doc = Sample();
        doc["keys"]!["regionKey"] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        CityRegistry r = RegistryLoader.Load(new MemoryStream(Encoding.UTF8.GetBytes(doc.ToJsonString())), "other.json");
        string expected = CardToken.Compute(Convert.FromHexString("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"), CardTech.Iso14443A, "04A1B2C3D4E5F6");
        Assert.NotEqual("fYLPTEcc3V8cNDIWtme8Bw", expected);
        Assert.Equal("P0001", r.FindCard(expected)!.Pid);
        Assert.Null(r.FindCard("fYLPTEcc3V8cNDIWtme8Bw"));
    }

    /// <summary>Applies <c>path = json</c> where path is like <c>cards[0].pid</c>.</summary>
    internal static void Apply(JsonObject doc, string edit)
    {
        int eq = edit.IndexOf(" = ", StringComparison.Ordinal);
        string path = edit[..eq].Trim();
        JsonNode value = JsonNode.Parse(edit[(eq + 3)..].Trim())!;
        JsonNode node = doc;
        string[] parts = path.Replace("[", ".[", StringComparison.Ordinal).Split('.', StringSplitOptions.RemoveEmptyEntries);
        for (int i = 0; i < parts.Length; i++)
        {
            string part = parts[i];
            bool last = i == parts.Length - 1;
            if (part.StartsWith('['))
            {
                int index = int.Parse(part[1..^1], System.Globalization.CultureInfo.InvariantCulture);
                JsonArray array = node.AsArray();
                if (last)
                {
                    array[index] = value;
                }
                else
                {
                    node = array[index]!;
                }
            }
            else if (last)
            {
                node.AsObject()[part] = value;
            }
            else
            {
                node = node[part]!;
            }
        }
    }
}
