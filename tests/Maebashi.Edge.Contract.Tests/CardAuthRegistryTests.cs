using System.Text;
using System.Text.Json.Nodes;
using Maebashi.Edge.Contract.Registry;

namespace Maebashi.Edge.Contract.Tests;

/// <summary>The registry's <c>auth</c> and <c>keyVersion</c> of a card, as <c>registry check</c> and the loader read them.</summary>
[Trait("Category", "CardAuth")]
public class CardAuthRegistryTests
{
    public static TheoryData<string, string> BadCards() => new()
    {
        { """cards[1].auth = "ntag424-sun" """, "cards[1].auth: ntag424-sun needs an iso14443a card with a 7-byte uid" },
        { """cards[2].auth = "ntag424-sun" """, "cards[2].auth: ntag424-sun needs an iso14443a card with a 7-byte uid" },
        { """cards[0].auth = "mifare-classic" """, "cards[0].auth: expected none or ntag424-sun, got 'mifare-classic'" },
        { """cards[0].keyVersion = -1""", "cards[0].keyVersion: expected 0 or more, got -1" },
    };

    [Theory]
    [MemberData(nameof(BadCards))]
    public void Registry_check_refuses_a_card_that_cannot_authenticate_as_declared(string edit, string expected)
    {
        JsonObject doc = RegistryTests.Sample();
        RegistryTests.Apply(doc, edit);
        Assert.Contains(RegistryTests.Problems(doc), p => p.ToString() == expected);
    }

    [Fact]
    public void A_seven_byte_type_a_card_may_authenticate_and_keeps_its_key_version()
    {
        JsonObject doc = RegistryTests.Sample();
        RegistryTests.Apply(doc, """cards[0].auth = "ntag424-sun" """);
        RegistryTests.Apply(doc, """cards[0].keyVersion = 2""");
        CityRegistry registry = RegistryLoader.Load(new MemoryStream(Encoding.UTF8.GetBytes(doc.ToJsonString())), "test.json");
        CardEntry card = registry.FindCard("fYLPTEcc3V8cNDIWtme8Bw")!;
        Assert.True(card.Authenticated);
        Assert.Equal(2, card.KeyVersion);
        Assert.False(registry.FindCard(registry.TokenFor(Identity.CardTech.Iso14443A, "DEADBEEF"))!.Authenticated);
    }
}
