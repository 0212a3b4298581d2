using Maebashi.Edge.Contract.Messages;

namespace Maebashi.Edge.Contract.Tests;

[Trait("Category", "Contract")]
public class TopicsTests
{
    [Theory]
    [InlineData("maebashi/v1/dev/BUS0042/evt", TopicKind.Events, "BUS0042")]
    [InlineData("maebashi/v1/dev/BUS0042/ack", TopicKind.Ack, "BUS0042")]
    [InlineData("maebashi/v1/dev/EVT01/cfg", TopicKind.Config, "EVT01")]
    [InlineData("maebashi/v1/dev/CLN01/status", TopicKind.Status, "CLN01")]
    [InlineData("maebashi/v1/deny", TopicKind.Deny, "")]
    public void Topics_build_and_parse_as_the_contract_names_them(string topic, TopicKind kind, string device)
    {
        Assert.True(Topics.TryParse(topic, out TopicKind k, out string d));
        Assert.Equal(kind, k);
        Assert.Equal(device, d);
        string rebuilt = kind switch
        {
            TopicKind.Events => Topics.Events(device),
            TopicKind.Ack => Topics.Ack(device),
            TopicKind.Config => Topics.Config(device),
            TopicKind.Status => Topics.Status(device),
            _ => Topics.Deny,
        };
        Assert.Equal(topic, rebuilt);
    }

    [Theory]
    [InlineData("maebashi/v1/dev//evt")]
    [InlineData("maebashi/v1/dev/BUS0042/evt/x")]
    [InlineData("maebashi/v1/dev/BUS0042/other")]
    [InlineData("maebashi/v2/dev/BUS0042/evt")]
    [InlineData("")]
    public void Foreign_topics_do_not_parse(string topic) => Assert.False(Topics.TryParse(topic, out _, out _));

    [Theory]
    [InlineData("BUS/42")]
    [InlineData("BUS+")]
    [InlineData("#")]
    [InlineData("")]
    public void A_device_id_that_would_break_topics_is_refused(string id) =>
        Assert.Throws<ArgumentException>(() => Topics.Events(id));

    [Fact]
    public void Shared_subscription_names_the_group() =>
        Assert.Equal("$share/ingest/maebashi/v1/dev/+/evt", Topics.Shared("ingest", Topics.AllEvents));
}

[Trait("Category", "Contract")]
public class DeviceMessageParsingTests
{
    [Theory]
    [InlineData("""{"version":3}""", "deny: tokens: missing")]
    [InlineData("""{"tokens":[]}""", "deny: version: missing")]
    [InlineData("""{"version":3,"tokens":"x"}""", "deny: $.tokens")]
    [InlineData("""[1]""", "deny: $: expected an object")]
    [InlineData("""{not json""", "deny: not JSON")]
    public void A_deny_list_missing_its_parts_is_refused_not_read_as_empty(string json, string expected)
    {
        var e = Assert.Throws<ContractFormatException>(() => ContractJson.ParseDeny(global::System.Text.Encoding.UTF8.GetBytes(json)));
        Assert.StartsWith(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_deny_list_and_a_config_read_back_as_written()
    {
        DenyList deny = ContractJson.ParseDeny(ContractJson.Serialize(new DenyList { Version = 7, Tokens = ["fYLPTEcc3V8cNDIWtme8Bw"] }));
        Assert.Equal(7, deny.Version);
        Assert.Equal(["fYLPTEcc3V8cNDIWtme8Bw"], deny.Tokens);
        Assert.Throws<ContractFormatException>(() => ContractJson.ParseConfig("""{"version":1}"""u8));
        Assert.Equal("bus", ContractJson.ParseConfig("""{"version":1,"role":"bus","device":"BUS0042"}"""u8).Role);
    }
}
